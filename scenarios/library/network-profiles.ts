/**
 * network-profiles: the same busy feed (10 msg/s, Poisson) for every transport, on loopback,
 * broadband, lossy Wi-Fi, 4G and 3G (contract/networks.ts), each client group behind its own
 * shaping proxy (tools/shaper.ts). The sweep's value is the profile's RTT, so the models
 * (contract/network-models.ts) are straight lines in it, drawn dashed beside the measurement:
 * SSE and WebSocket pay one way, long polling about one more round trip per busy message, short
 * polling T/2 + a round trip. At lossy-wifi the p99 shows the retransmission timeout instead.
 */
import type { TransportName } from '../../contract/index.js';
import { afterLossMs, modelP50Ms, nearModel } from '../../contract/network-models.js';
import { findNetwork, resolveNetwork } from '../../contract/networks.js';
import { defineScenario, type RunSpec } from '../define.js';
import type { Summary } from '../summary.js';
import { fmt, noLossAtEveryPoint } from './expect.js';

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

function predict(spec: RunSpec, rtt: number) {
  const network = resolveNetwork(profileAt(rtt));
  const input = { network, rate: spec.feed.rate, messageBytes: spec.feed.payloadBytes, pollIntervalMs: T_MS };
  const out: Partial<Record<TransportName, Record<string, number>>> = {};
  for (const t of TRANSPORTS) {
    const p50 = modelP50Ms(t, input);
    out[t] = network.lossPercent > 0 ? { p50, p99: afterLossMs(network) } : { p50 };
  }
  return out;
}

/** Every loss-free point, every transport: measured p50 against the model. */
function modelRows(s: Summary) {
  return (s.sweep?.points ?? [])
    .filter((p) => lossless(p.value))
    .flatMap((p) =>
      TRANSPORTS.map((t) => {
        const measured = p.transports[t]?.latencyMs.p50 ?? Number.NaN;
        const model = p.predicted?.[t]?.p50 ?? Number.NaN;
        return { profile: profileAt(p.value), t, measured, model, ok: nearModel(measured, model) };
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
        text: `${t}: measured p50 within 10 % (or 5 ms) of the model at every loss-free profile`,
        check: (s: Summary) => {
          const rows = modelRows(s).filter((r) => r.t === t);
          return {
            pass: rows.length > 0 && rows.every((r) => r.ok),
            detail: rows
              .map((r) => `${r.profile} ${fmt(r.measured)} vs ${fmt(r.model)} ms ${r.ok ? '✓' : '✗'}`)
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
        text: 'lossy-wifi: the held-back segments show in the p99 (above the one-way delay by at least half the RTO)',
        check: (s) => {
          const p = s.sweep?.points.find((x) => x.value === rttOf('lossy-wifi'));
          const rows = TRANSPORTS.filter((t) => t !== 'short-poll').map((t) => ({
            t,
            p99: p?.transports[t]?.latencyMs.p99 ?? Number.NaN,
            stalls: p?.transports[t]?.network?.shaper.stalls ?? 0,
          }));
          return {
            pass: rows.every((r) => r.p99 >= rttOf('lossy-wifi') / 2 + 100),
            detail: rows.map((r) => `${r.t} p99 ${fmt(r.p99)} ms (${r.stalls} stalls)`).join(', '),
          };
        },
      },
      {
        text: 'the shaper set no delay of its own (its deliveries p99-late by less than max(5 ms, 10 % of one way))',
        check: (s) => {
          const late = (s.sweep?.points ?? []).flatMap((p) =>
            TRANSPORTS.flatMap((t) => {
              const n = p.transports[t]?.network;
              return n
                ? [{ at: `${profileAt(p.value)} ${t}`, p99: n.shaper.latenessMs.p99, bottleneck: n.shaper.bottleneck }]
                : [];
            }),
          );
          const bad = late.filter((l) => l.bottleneck);
          return {
            pass: late.length > 0 && bad.length === 0,
            detail:
              bad.length > 0
                ? `the shaper was the bottleneck at ${bad.map((b) => `${b.at} (p99 ${fmt(b.p99)} ms late)`).join(', ')}`
                : `worst lateness p99 ${fmt(Math.max(...late.map((l) => l.p99)))} ms`,
          };
        },
      },
    ],
  });
}

export default networkSweep({ name: 'network-profiles', rate: BUSY_RATE, durationMs: 12_000 });
