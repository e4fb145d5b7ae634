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
    case 'long-poll': {
      const r = pollRoundTripMs(m);
      const lambdaR = (m.rate / 1000) * r;
      const f = lambdaR / (lambdaR + Math.exp(-lambdaR));
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
