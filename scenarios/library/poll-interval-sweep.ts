/**
 * poll-interval-sweep: the short-poll interval T from 250 ms to 2 s, the other transports
 * beside it. The model (Grigorik, High Performance Browser Networking, ch. 15): a message waits T/2 on average (p99 ≈ 0.99·T),
 * N clients make N/T requests/s, a client makes 1/(λT) requests per message, and with Poisson
 * arrivals a share e^(−λT) of polls come back empty. Predictions are in each point's `predicted`.
 *
 * Lab 1's one rate: the quiet feed's λ = 0.25/s and 20 clients (scenarios/library/quiet-feed.ts), so the
 * T = 1 s point is the quiet feed again and the empty share moves visibly with T (0.94 … 0.61).
 * About 6 messages a point (λ × 25 s): run it with `--repeat 3` for a spread (docs/lessons/01-short-polling.md).
 */
import { defineScenario } from '../define.js';
import { countedS, fmt, noLossAtEveryPoint, publishedPerClient } from './expect.js';

const RATE = 0.25;
const CLIENTS = 20;
const DURATION_MS = 25_000;

export default defineScenario({
  name: 'poll-interval-sweep',
  description: `Short-poll interval T = 250 ms … 2 s at ${RATE} msg/s (Poisson), ${CLIENTS} clients per transport, ${DURATION_MS / 1000} s per point: latency follows T/2, requests follow N/T.`,
  feed: { rate: RATE, payloadBytes: 256, arrivals: 'poisson' },
  clients: {
    'short-poll': { count: CLIENTS },
    'long-poll': { count: CLIENTS },
    sse: { count: CLIENTS },
    websocket: { count: CLIENTS },
  },
  warmupMs: 1_500,
  durationMs: DURATION_MS,
  sweep: {
    parameter: 'short-poll interval',
    unit: 'ms',
    values: [250, 500, 1_000, 2_000],
    apply: (spec, T) => ({
      ...spec,
      groups: spec.groups.map((g) =>
        g.transport === 'short-poll' ? { ...g, pollIntervalMs: T, startSpreadMs: T } : g,
      ),
    }),
    predict: (spec, T) => {
      const lambda = spec.feed.rate;
      const n = spec.groups.find((g) => g.transport === 'short-poll')?.count ?? 0;
      return {
        'short-poll': {
          p50: T / 2,
          p99: 0.99 * T,
          requestsPerMessage: 1 / (lambda * (T / 1000)),
          requestsPerSec: n / (T / 1000),
          emptyShare: Math.exp(-lambda * (T / 1000)),
        },
      };
    },
  },
  expectations: [
    noLossAtEveryPoint(),
    {
      text: 'short-poll p50 ≈ T/2 at every T (± 20 %)',
      check: (s) => {
        const rows = (s.sweep?.points ?? []).map((p) => ({
          T: p.value,
          p50: p.transports['short-poll']?.latencyMs.p50 ?? Number.NaN,
        }));
        const worst = rows
          .map((r) => ({ ...r, off: Math.abs(r.p50 - r.T / 2) / (r.T / 2) }))
          .sort((a, b) => b.off - a.off)[0];
        return {
          pass: rows.length > 0 && (worst?.off ?? 1) <= 0.2,
          detail: rows.map((r) => `T=${r.T}: ${fmt(r.p50)} ms`).join(', '),
        };
      },
    },
    {
      text: 'short-poll requests/s ≈ N/T at every T (± 10 %)',
      check: (s) => {
        const rows = (s.sweep?.points ?? []).map((p) => {
          const x = p.transports['short-poll'];
          // Requests are counted over the window and its drain: divide by that time.
          const measured = x ? x.requests / (countedS(x) ?? Number.NaN) : Number.NaN;
          const predicted = x ? x.clients / (p.value / 1000) : Number.NaN;
          return { T: p.value, measured, predicted, off: Math.abs(measured - predicted) / predicted };
        });
        return {
          pass: rows.length > 0 && rows.every((r) => r.off <= 0.1),
          detail: rows.map((r) => `T=${r.T}: ${fmt(r.measured)} vs ${fmt(r.predicted)}/s`).join(', '),
        };
      },
    },
    {
      // λ as realized: a Poisson feed publishes 6 ± 2.5 messages in 25 s, and e^(−λT) moves with it.
      text: 'short-poll empty share ≈ e^(−λT) at every T, λ as published (± 0.08)',
      check: (s) => {
        const durationS = (s.params.durationMs as number) / 1000;
        const rows = (s.sweep?.points ?? []).map((p) => {
          const x = p.transports['short-poll'];
          const lambda = x ? publishedPerClient(x) / durationS : Number.NaN;
          const measured = x && x.requests > 0 ? x.emptyResponses / x.requests : Number.NaN;
          return { T: p.value, lambda, measured, predicted: Math.exp(-lambda * (p.value / 1000)) };
        });
        return {
          pass: rows.length > 0 && rows.every((r) => Math.abs(r.measured - r.predicted) <= 0.08),
          detail: rows
            .map((r) => `T=${r.T}: ${fmt(r.measured, 2)} vs ${fmt(r.predicted, 2)} (λ=${fmt(r.lambda, 2)})`)
            .join(', '),
        };
      },
    },
    {
      text: 'sse and websocket latency does not depend on T (p50 under 20 ms at every point)',
      check: (s) => {
        const p50s = (s.sweep?.points ?? []).flatMap((p) => [
          p.transports.sse?.latencyMs.p50 ?? Number.NaN,
          p.transports.websocket?.latencyMs.p50 ?? Number.NaN,
        ]);
        return {
          pass: p50s.length > 0 && p50s.every((v) => v < 20),
          detail: `p50 from ${fmt(Math.min(...p50s))} to ${fmt(Math.max(...p50s))} ms`,
        };
      },
    },
  ],
});
