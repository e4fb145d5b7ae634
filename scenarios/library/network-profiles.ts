/**
 * network-profiles: the same busy feed (10 msg/s, Poisson) for every transport, on loopback,
 * broadband, lossy Wi-Fi, 4G and 3G (contract/networks.ts), each client group behind its own
 * shaping proxy (tools/shaper.ts). The sweep's value is the profile's RTT, so the models
 * (contract/network-models.ts) are straight lines in it, drawn dashed beside the measurement:
 * SSE and WebSocket pay one way, long polling about one more round trip per busy message, short
 * polling T/2 + a round trip. At lossy-wifi the p99 shows the retransmission timeout instead.
 */
import type { TransportName } from '../../contract/index.js';
import { afterLossMs, modelMedianBandMs, modelP50Ms, nearModel } from '../../contract/network-models.js';
import { findNetwork, resolveNetwork } from '../../contract/networks.js';
import { defineScenario, type RunSpec } from '../define.js';
import { shaperLatenessLimitMs } from '../measure.js';
import type { Summary, SweepPoint } from '../summary.js';
import { fmt, noLossAtEveryPoint, publishedPerClient } from './expect.js';

/** The four transports this sweep runs (Socket.IO rides a WebSocket once upgraded: see fan-out). */
const TRANSPORTS: readonly TransportName[] = ['short-poll', 'long-poll', 'sse', 'websocket'];
const BUSY_RATE = 10;
const CLIENTS = 4;
const PAYLOAD_BYTES = 256;
const T_MS = 1_000;
/** In the order of their RTT: the sweep's value names the profile. */
const PROFILES = ['loopback', 'broadband', 'lossy-wifi', '4g', '3g'] as const;
const rttOf = (name: string): number => findNetwork(name)?.rttMs ?? Number.NaN;
const profileAt = (rtt: number): string => PROFILES.find((p) => rttOf(p) === rtt) ?? `no profile with RTT ${rtt}`;
const lossless = (rtt: number) => (findNetwork(profileAt(rtt))?.lossPercent ?? 0) === 0;

/**
 * The rate the window actually had: the messages published in it (every group sees all of them)
 * over its length. A Poisson feed samples its rate; the model is a function of it, so it predicts
 * from the sample (contract/network-models.ts). Before anything ran: the nominal rate.
 */
function windowRate(spec: RunSpec, measured: SweepPoint | undefined): number {
  const x = Object.values(measured?.transports ?? {}).find((t) => t !== undefined && t.clients > 0);
  return x ? publishedPerClient(x) / (spec.durationMs / 1000) : spec.feed.rate;
}

function predict(spec: RunSpec, rtt: number, measured?: SweepPoint) {
  const network = resolveNetwork(profileAt(rtt));
  const rate = windowRate(spec, measured);
  const input = { network, rate, messageBytes: spec.feed.payloadBytes, pollIntervalMs: T_MS };
  const out: Partial<Record<TransportName, Record<string, number>>> = {};
  for (const t of TRANSPORTS) {
    const p50 = modelP50Ms(t, input);
    const band = modelMedianBandMs(t, input, measured?.transports[t]?.latencyMs.count ?? 0);
    out[t] = { p50, p50Low: band.low, p50High: band.high, rate };
    if (network.lossPercent > 0) out[t].p99 = afterLossMs(network);
  }
  return out;
}

/** Every loss-free point, every transport: measured p50 against the model (and its sampling band). */
function modelRows(s: Summary) {
  return (s.sweep?.points ?? [])
    .filter((p) => lossless(p.value))
    .flatMap((p) =>
      TRANSPORTS.map((t) => {
        const measured = p.transports[t]?.latencyMs.p50 ?? Number.NaN;
        const predicted = p.predicted?.[t];
        const model = predicted?.p50 ?? Number.NaN;
        const band =
          predicted?.p50Low !== undefined && predicted.p50High !== undefined
            ? { low: predicted.p50Low, high: predicted.p50High }
            : undefined;
        return { profile: profileAt(p.value), t, measured, model, band, ok: nearModel(measured, model, band) };
      }),
    );
}

/**
 * The busy feed (`network-profiles`) and the quiet one (`network-quiet`, scenarios/library/
 * network-quiet.ts): the same sweep; the models take the rate, so a quiet feed moves long
 * polling's prediction toward SSE's (a message mostly finds a poll held).
 */
export function networkSweep(options: { name: string; rate: number; durationMs: number }) {
  const { name, rate, durationMs } = options;
  const busy = rate >= BUSY_RATE;
  return defineScenario({
    name,
    description: `${rate} msg/s (Poisson), ${CLIENTS} clients per transport, each group behind a shaping proxy: loopback, broadband, lossy-wifi, 4g, 3g (sweep value = the profile's RTT). Measured event age against the models.`,
    feed: { rate, payloadBytes: PAYLOAD_BYTES, arrivals: 'poisson' },
    clients: {
      'short-poll': { count: CLIENTS, pollIntervalMs: T_MS },
      'long-poll': { count: CLIENTS },
      sse: { count: CLIENTS },
      websocket: { count: CLIENTS },
    },
    warmupMs: 2_000,
    durationMs,
    sweep: {
      parameter: 'network RTT (profile)',
      unit: 'ms',
      values: PROFILES.map(rttOf),
      apply: (spec, rtt) => ({
        ...spec,
        groups: spec.groups.map((g) => ({ ...g, network: resolveNetwork(profileAt(rtt)) })),
      }),
      predict,
    },
    expectations: [
      noLossAtEveryPoint(),
      ...TRANSPORTS.map((t) => ({
        text: `${t}: measured p50 within 10 % (or 5 ms) of the model at the window's own rate, or inside the median's sampling band, at every loss-free profile`,
        check: (s: Summary) => {
          const rows = modelRows(s).filter((r) => r.t === t);
          return {
            pass: rows.length > 0 && rows.every((r) => r.ok),
            detail: rows
              .map((r) => {
                const band = r.band && r.band.high > r.band.low ? ` (${fmt(r.band.low)}…${fmt(r.band.high)})` : '';
                return `${r.profile} ${fmt(r.measured)} vs ${fmt(r.model)}${band} ms ${r.ok ? '✓' : '✗'}`;
              })
              .join(', '),
          };
        },
      })),
      ...(busy
        ? [
            {
              text: 'at 3g, long polling is behind SSE and WebSocket by most of a round trip (busy feed)',
              check: (s: Summary) => {
                const p = s.sweep?.points.find((x) => x.value === rttOf('3g'));
                const lp = p?.transports['long-poll']?.latencyMs.p50 ?? Number.NaN;
                const push = Math.max(
                  p?.transports.sse?.latencyMs.p50 ?? Number.NaN,
                  p?.transports.websocket?.latencyMs.p50 ?? Number.NaN,
                );
                return {
                  pass: lp - push > 0.1 * rttOf('3g'),
                  detail: `long-poll ${fmt(lp)} ms, SSE/WebSocket up to ${fmt(push)} ms`,
                };
              },
            },
          ]
        : []),
      {
        text: 'lossy-wifi: the held-back segments show in the tail (above the one-way delay by at least half the RTO: the p99, or the slowest message when the stalls were at most 1 % of the messages)',
        check: (s) => {
          const p = s.sweep?.points.find((x) => x.value === rttOf('lossy-wifi'));
          const floor = rttOf('lossy-wifi') / 2 + 100;
          const rows = TRANSPORTS.filter((t) => t !== 'short-poll').map((t) => {
            const latency = p?.transports[t]?.latencyMs;
            const stalls = p?.transports[t]?.network?.shaper.stalls ?? 0;
            // A stall holds at least one message; when they are at most 1 % of the messages (a quiet
            // feed: 1 stall in 116), the p99 need not contain one, but the slowest message must.
            const few = stalls * 100 <= (latency?.count ?? 0);
            const shown = few ? (latency?.max ?? Number.NaN) : (latency?.p99 ?? Number.NaN);
            return { t, stalls, few, shown, pass: stalls > 0 && shown >= floor };
          });
          return {
            pass: rows.every((r) => r.pass),
            detail: rows
              .map((r) => `${r.t} ${r.few ? 'max' : 'p99'} ${fmt(r.shown)} ms (${r.stalls} stalls)`)
              .join(', '),
          };
        },
      },
      {
        text: 'the shaper set no delay of its own (the lateness its own work caused: p99 under max(5 ms, 10 % of one way))',
        check: (s) => {
          const late = (s.sweep?.points ?? []).flatMap((p) =>
            TRANSPORTS.flatMap((t) => {
              const shaper = p.transports[t]?.network?.shaper;
              if (!shaper) return [];
              const limit = shaperLatenessLimitMs(p.value / 2);
              const own = shaper.ownLatenessMs?.p99;
              return [{ at: `${profileAt(p.value)} ${t}`, p99: shaper.latenessMs.p99, own, limit, shaper }];
            }),
          );
          const bad = late.filter((l) => l.shaper.bottleneck);
          // Late by the timer only: the group thread's event-loop delay (tools/shaper.ts), said, not failed.
          const thread = late.filter((l) => !l.shaper.bottleneck && l.p99 > l.limit);
          const ownText = (l: (typeof late)[number]) => (l.own === undefined ? '' : `, own ≤ ${fmt(l.own)} ms`);
          const parts =
            bad.length > 0
              ? [
                  `the shaper was the bottleneck at ${bad.map((b) => `${b.at} (p99 ${fmt(b.p99)} ms late${ownText(b)})`).join(', ')}`,
                ]
              : [`own lateness p99 at most ${fmt(Math.max(...late.map((l) => l.own ?? l.p99)))} ms`];
          if (thread.length > 0)
            parts.push(
              `late by the thread's event loop, not the shaper's work, at ${thread.map((l) => `${l.at} (p99 ${fmt(l.p99)} ms${ownText(l)})`).join(', ')}`,
            );
          return { pass: late.length > 0 && bad.length === 0, detail: parts.join('; ') };
        },
      },
    ],
  });
}

export default networkSweep({ name: 'network-profiles', rate: BUSY_RATE, durationMs: 12_000 });
