/**
 * What each transport's event age should be on a network, to predict from before measuring
 * (drawn dashed by the scenario charts and the dashboard). R is the round trip: the profile's
 * RTT plus the time to put one request up and one answer down at the profile's rates.
 *
 * - SSE and WebSocket: the message is pushed as it is published; it waits one way, R/2, plus
 *   its own serialization on the down link.
 * - Long polling: a message published while a poll is held waits R/2. A message published while
 *   the answer travels down and the next poll up (R) waits for that poll, then travels back:
 *   uniformly R/2…3R/2. With Poisson arrivals at λ, a share f = λR / (1 + λR) of messages fall in
 *   that gap (one message ends each hold, λR arrive in each gap), so the median is R/2 while
 *   f ≤ ½ and R/2 + R·(f − ½)/f above: a busy feed pays about one more round trip per message.
 * - Short polling with a pause T after each answer: the server looks every T + R, so a message
 *   waits (T + R)/2 on average for the next look and R/2 more to come down: T/2 + R. (Counted
 *   request to request, the interval would be T and the wait T/2 + R/2.)
 * - After a loss: the held-back segment waits a retransmission timeout, max(200 ms, 2 × RTT),
 *   on top of its one-way delay, and so does everything behind it (contract/networks.ts).
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
      return oneWay + serializationMs(m.messageBytes + 40, m.network.downKbps);
    case 'long-poll': {
      const r = pollRoundTripMs(m);
      const lambdaR = (m.rate / 1000) * r;
      const f = lambdaR / (1 + lambdaR);
      return f <= 0.5 ? r / 2 : r / 2 + (r * (f - 0.5)) / f;
    }
    case 'short-poll': {
      const r = pollRoundTripMs(m);
      return m.pollIntervalMs / 2 + r;
    }
  }
}

/** How long a message behind a lost segment waits at most: one way plus the retransmission timeout, ms. */
export function afterLossMs(network: Pick<NetworkParams, 'rttMs'>): number {
  return network.rttMs / 2 + retransmitTimeoutMs(network);
}

/** Within 10 % of the model, or 5 ms, whichever is wider (the scenarios' ✓). */
export function nearModel(measured: number, model: number): boolean {
  return Math.abs(measured - model) <= Math.max(0.1 * model, 5);
}
