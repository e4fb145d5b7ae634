/**
 * smoke: everything once, small and quick (the tests run it). All five transports, a few
 * clients each, one abrupt cut at the proxies mid-way (resume must make it invisible), and a
 * one-second capacity phase, so every part of the runner is exercised in well under 30 s.
 */
import { defineScenario } from '../define.js';
import { bytesAgree, noLoss } from './expect.js';

export default defineScenario({
  name: 'smoke',
  description:
    'All five transports, 4 clients each, 10 msg/s of 256-byte messages for 6 s with one abrupt cut at the proxies: nothing may be lost.',
  feed: { rate: 10, payloadBytes: 256 },
  clients: {
    'short-poll': { count: 4, pollIntervalMs: 500 },
    'long-poll': { count: 4 },
    sse: { count: 4 },
    websocket: { count: 4 },
    'socket.io': { count: 4 },
  },
  warmupMs: 1_500,
  durationMs: 6_000,
  faults: [{ atMs: 3_000, kind: 'cut', via: 'proxy' }],
  capacity: { durationS: 1, connections: 10, rounds: 1 },
  expectations: [
    noLoss(),
    bytesAgree(0.05),
    {
      text: 'sse and websocket use fewer requests per message than either poll',
      check: (s) => {
        const rpm = (t: 'short-poll' | 'long-poll' | 'sse' | 'websocket') =>
          s.transports[t]?.requestsPerMessage ?? Number.NaN;
        const streams = Math.max(rpm('sse'), rpm('websocket'));
        const polls = Math.min(rpm('short-poll'), rpm('long-poll'));
        return {
          pass: streams < polls,
          detail: `streams ≤ ${streams.toFixed(3)}, polls ≥ ${polls.toFixed(3)} requests/message`,
        };
      },
    },
  ],
});
