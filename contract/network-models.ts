/**
 * What each transport's event age should be on a network, to predict from before measuring
 * (drawn dashed by the scenario charts and the dashboard). R is the round trip: the profile's
 * RTT plus the time to put one request up and one answer down at the profile's rates.
 *
 * - SSE and WebSocket: the message is pushed as it is published; it waits one way, R/2, plus
 *   its own serialization on the down link.
 * - Long polling: a message published while a poll is held waits R/2. A message published while
 *   the answer travels down and the next poll up (R) waits for that poll, then travels back:
 *   uniformly R/2…3R/2. With Poisson arrivals at λ, each cycle is a gap of R in which λR messages
 *   arrive on average; only when the gap brought none (probability e^(−λR)) is the next poll held,
 *   and then exactly one message ends the hold. So a share f = λR / (λR + e^(−λR)) of messages fall
 *   in a gap, and the median is R/2 while f ≤ ½ and R/2 + R·(f − ½)/f above: a busy feed pays about
 *   one more round trip per message. (An earlier version counted one held message per cycle,
 *   f = λR / (1 + λR): on 3g at 10 msg/s it predicted 105 ms where an idle run measured 147 ms;
 *   this one predicts 144 ms — results/network-profiles/2026-11-30T02-47-05Z.)
 * - Short polling with a pause T after each answer: the server looks every T + R, so a message
 *   waits (T + R)/2 on average for the next look and R/2 more to come down: T/2 + R. (Counted
 *   request to request, the interval would be T and the wait T/2 + R/2.)
 * - After a loss: the held-back segment waits a retransmission timeout, max(200 ms, 2 × RTT),
 *   on top of its one-way delay, and so does everything behind it (contract/networks.ts).
 *
 * Checking a run against the model (scenarios/library/network-profiles.ts) takes two things from
 * the run itself. λ is the rate the window actually had: a Poisson feed at 10 msg/s put 99 to 142
 * messages into the 12 s windows of the reference runs (one sd is ±9 %), and on 4g, where f is near ½,
 * a window 9 % fast or slow moves the median by about 4 ms. And the measured median of n ages is compared with the
 * band in which the median of n draws from this distribution falls (modelMedianBandMs), not only with
 * the model's own median. Not modelled, a few ms each: the lab's own path (server, proxy thread, client
 * thread — the push transports' medians sit 2–3 ms above RTT/2 at every shaped profile, and a re-ask pays
 * that path twice, answer down and request up), and the shaper's token bucket, which lets a burst of up
 * to two segments through without the serialization time counted here (tools/shaper.ts BURST_BYTES).
 */
import type { TransportName } from './index.js';
import { type NetworkParams, retransmitTimeoutMs, serializationMs } from './networks.js';

export interface ModelInput {
  network: Pick<NetworkParams, 'rttMs' | 'downKbps' | 'upKbps'>;
  /** Messages per second (Poisson). */
  rate: number;
  /** One message's JSON, bytes. */
  messageBytes: number;
  /** Short-poll pause between an answer and the next poll, ms. */
  pollIntervalMs: number;
}

/** A poll request's head on the wire, bytes (the lab's are 150–250 B). */
const REQUEST_BYTES = 220;
/** What an answer adds to the message(s) it carries: status line and headers, bytes. */
const ANSWER_OVERHEAD_BYTES = 250;

/** The round trip a poll sees: RTT + its request up + an answer of one message down, ms. */
export function pollRoundTripMs(m: ModelInput): number {
  return (
    m.network.rttMs +
    serializationMs(REQUEST_BYTES, m.network.upKbps) +
    serializationMs(ANSWER_OVERHEAD_BYTES + m.messageBytes, m.network.downKbps)
  );
}

/** The model's median event age, ms. */
export function modelP50Ms(transport: TransportName, m: ModelInput): number {
  const oneWay = m.network.rttMs / 2;
  switch (transport) {
    case 'sse':
    case 'websocket':
    // Socket.IO, once upgraded, is a WebSocket carrying a few bytes more per message.
    case 'socket.io':
      return oneWay + serializationMs(m.messageBytes + 40, m.network.downKbps);
    case 'long-poll':
      return longPollQuantileMs(m, 0.5);
    case 'short-poll':
      return shortPollQuantileMs(m, 0.5);
  }
}

/**
 * Short polling's age distribution by the model: the server looks every T + R, a message waits from
 * its publication to the next look (uniform over 0…T + R) and then the answer's way down (R/2), so
 * ages are uniform over R/2…T + 3R/2, median T/2 + R. Its p-quantile, ms.
 */
export function shortPollQuantileMs(m: ModelInput, p: number): number {
  const r = pollRoundTripMs(m);
  return r / 2 + p * (m.pollIntervalMs + r);
}

/**
 * Long polling's age distribution by the model: a share 1 − f of messages at exactly R/2 (a poll
 * was held), the rest uniform over R/2…3R/2 (published in a re-ask's gap). Its p-quantile, ms.
 */
export function longPollQuantileMs(m: ModelInput, p: number): number {
  const r = pollRoundTripMs(m);
  const lambdaR = (m.rate / 1000) * r;
  const f = lambdaR / (lambdaR + Math.exp(-lambdaR));
  const held = 1 - f;
  return p <= held ? r / 2 : r / 2 + (r * (p - held)) / f;
}

/**
 * Where the median of `n` measured ages falls, 95 % of the time, if the ages follow the model: the
 * model's quantiles at ½ ∓ 1/√n (the order-statistic interval for a median: the count of ages below
 * the true median is binomial(n, ½), sd √n/2). For SSE and WebSocket the model is one value and so is
 * the band. Short polling's ages spread over a whole cycle T + R, so its band is ±(T + R)/√n: on a
 * quiet feed (~100 ages a profile) about ±10 % of T + R. For long polling near f = ½ the band is wide:
 * the median sits where the share of held messages ends, and a few messages more or fewer in re-asks
 * move it by tens of ms.
 * (Ages of clients that share a feed are not fully independent; counting every age as one makes the
 * band narrower than the truth, so the check stays strict.)
 */
export function modelMedianBandMs(transport: TransportName, m: ModelInput, n: number): { low: number; high: number } {
  const p50 = modelP50Ms(transport, m);
  const quantile =
    transport === 'long-poll' ? longPollQuantileMs : transport === 'short-poll' ? shortPollQuantileMs : undefined;
  if (quantile === undefined || !(n > 0)) return { low: p50, high: p50 };
  const half = 1 / Math.sqrt(n);
  return { low: quantile(m, Math.max(0, 0.5 - half)), high: quantile(m, Math.min(1, 0.5 + half)) };
}

/** How long a message behind a lost segment waits at most: one way plus the retransmission timeout, ms. */
export function afterLossMs(network: Pick<NetworkParams, 'rttMs'>): number {
  return network.rttMs / 2 + retransmitTimeoutMs(network);
}

/**
 * The scenarios' ✓: within 10 % of the model, or 5 ms, whichever is wider — or, where the model's
 * median has a sampling band (modelMedianBandMs), inside that band.
 */
export function nearModel(measured: number, model: number, band?: { low: number; high: number }): boolean {
  if (band && measured >= band.low && measured <= band.high) return true;
  return Math.abs(measured - model) <= Math.max(0.1 * model, 5);
}
