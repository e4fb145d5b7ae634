/**
 * fan-out: one feed to 100 … 2 000 clients per transport, one transport at a time (2 000 × 4
 * transports × 3 runner sockets each would not fit ulimit -n, and alone the server's CPU is that
 * transport's). What grows with the crowd: p99 event age, and the server's CPU per delivered
 * message (`serverCost` in each point's transports).
 */
import { TRANSPORTS } from '../../contract/index.js';
import { defineScenario } from '../define.js';
import { fmt, noLossAtEveryPoint } from './expect.js';

const RATE = 2;
const T_MS = 1_000;

export default defineScenario({
  name: 'fan-out',
  description: `Fan-out: 100 → 2 000 clients per transport, one transport at a time, ${RATE} msg/s of 256 B, short poll every ${T_MS / 1000} s, 5 s measured per run: p99 and server CPU per delivered message.`,
  feed: { rate: RATE, payloadBytes: 256 },
  clients: {
    'short-poll': { count: 100, pollIntervalMs: T_MS },
    'long-poll': { count: 100 },
    sse: { count: 100 },
    websocket: { count: 100 },
    // Engine.IO's way: a long-poll handshake, then the upgrade to its WebSocket (both counted).
    'socket.io': { count: 100 },
  },
  warmupMs: 2_500,
  durationMs: 5_000,
  sweep: {
    parameter: 'clients per transport',
    unit: 'clients',
    values: [100, 500, 1_000, 2_000],
    oneTransportAtATime: true,
    apply: (spec, n) => ({
      ...spec,
      // Connect over 2 s at most (short polls over one interval): a crowd, not a thundering herd.
      groups: spec.groups.map((g) => ({
        ...g,
        count: n,
        startSpreadMs: g.transport === 'short-poll' ? g.pollIntervalMs : Math.min(2_000, n),
      })),
    }),
    predict: (spec) => ({
      'short-poll': { p50: T_MS / 2, p99: 0.99 * T_MS, requestsPerMessage: 1 / (spec.feed.rate * (T_MS / 1000)) },
    }),
  },
  expectations: [
    noLossAtEveryPoint(),
    {
      text: 'at the largest crowd, sse and websocket cost the server less CPU per delivered message than long-poll',
      check: (s) => {
        const p = s.sweep?.points.at(-1);
        const cpu = (t: (typeof TRANSPORTS)[number]) => p?.transports[t]?.serverCost?.cpuUsPerDelivered ?? Number.NaN;
        const detail = TRANSPORTS.map((t) => `${t} ${fmt(cpu(t))} µs`).join(', ');
        return {
          pass: cpu('sse') < cpu('long-poll') && cpu('websocket') < cpu('long-poll'),
          detail: `at ${p?.value} clients: ${detail}`,
        };
      },
    },
    {
      text: 'websocket p99 stays under 250 ms up to the largest crowd',
      check: (s) => {
        const rows = (s.sweep?.points ?? []).map(
          (p) => `${p.value}: ${fmt(p.transports.websocket?.latencyMs.p99 ?? Number.NaN)} ms`,
        );
        const worst = Math.max(
          ...(s.sweep?.points ?? []).map((p) => p.transports.websocket?.latencyMs.p99 ?? Number.POSITIVE_INFINITY),
        );
        return { pass: worst < 250, detail: rows.join(', ') };
      },
    },
  ],
});
