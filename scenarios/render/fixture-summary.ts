/**
 * Two fixed, realistic summaries for the renderers' tests and for eyeballing the charts:
 * a plain run of all four transports, and a sweep of the short-poll interval.
 *
 * Numbers follow the lab's models (FACTS.md): 2 msg/s of 256-byte messages, a short poll waits
 * T/2 on average and makes 1/(λT) requests per message, the streams cost their framing floor
 * plus a little. Counts are consistent: bytesPerMessage = (bytesIn + bytesOut) / delivered, etc.
 */
import type { TransportName } from '../../contract/index.js';
import type { Summary, SweepPoint, TransportSummary } from '../summary.js';

/** A genuine hdr-histogram-js compressed encoding (µs). The renderers never decode it. */
const HISTOGRAM =
  'HISTFAAAAP94nDWRQWoDUQxDfyZGCCGEcT9DCT1uoQfIYQo9XZmUeiGszcOSPz6fb2vdftZat7XWff3Nta/782v9+++7NoTIVg4RdsNOscCJ4rKqbYrBbstl0IM8TElq91FzBuVRdRfazCQx0dPps5sCtqRot0izKgp9xKF1ydaw5FITjTRYhFygHW7ApMGsPT6IiGynlakWsqhmAkMqeOQmHEK6Ik2IOcx0ZCk2ewg6cG/UMJGY1y0Faqqb5UbbsJIhRkmVtjFuFP1qLAYkHvJQfViLV1kNdZhWSyCDdM0hG1TAHYtGBpRminhnkb7C1njzsQ1bOHOheAF5vUPxqR3+Ah7YFp8=';

const PAYLOAD = 256;

interface Counts {
  clients: number;
  delivered: number;
  expected: number;
  lost?: number;
  duplicates?: number;
  reordered?: number;
  resets?: number;
  latency: [p50: number, p90: number, p99: number, p999: number, max: number, mean: number];
  requests: number;
  emptyResponses: number;
  bytesIn: number;
  bytesOut: number;
  floor: number;
  /** Deliveries per second around which the timeline wobbles. */
  perSecond: number;
  seconds: number;
  /** How far a bucket strays from perSecond; buckets stray in pairs, so the total holds. */
  wobble: number[];
  recoveryMs?: number;
}

function timeline(perSecond: number, seconds: number, wobble: number[]): number[] {
  return Array.from({ length: seconds }, (_, i) => {
    const w = wobble.length === 0 ? 0 : wobble[Math.floor(i / 2) % wobble.length];
    return perSecond + (i % 2 === 0 ? w : -w);
  });
}

function transport(c: Counts): TransportSummary {
  const [p50, p90, p99, p999, max, mean] = c.latency;
  const payloadBytes = c.delivered * PAYLOAD;
  const summary: TransportSummary = {
    clients: c.clients,
    delivered: c.delivered,
    expected: c.expected,
    lost: c.lost ?? 0,
    duplicates: c.duplicates ?? 0,
    reordered: c.reordered ?? 0,
    resets: c.resets ?? 0,
    latencyMs: { count: c.delivered, p50, p90, p99, p999, max, mean, histogram: HISTOGRAM },
    requests: c.requests,
    emptyResponses: c.emptyResponses,
    bytesIn: c.bytesIn,
    bytesOut: c.bytesOut,
    server: {
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      requests: c.requests,
      emptyResponses: c.emptyResponses,
      messages: c.delivered + (c.duplicates ?? 0),
    },
    payloadBytes,
    bytesPerMessage: (c.bytesIn + c.bytesOut) / c.delivered,
    payloadPerMessage: payloadBytes / c.delivered,
    floorOverheadPerMessage: c.floor,
    requestsPerMessage: c.requests / c.delivered,
    timeline: timeline(c.perSecond, c.seconds, c.wobble),
  };
  if (c.recoveryMs !== undefined) summary.recoveryMs = c.recoveryMs;
  return summary;
}

const MACHINE: Summary['machine'] = {
  cpus: 2,
  cpuModel: 'Intel(R) Xeon(R) CPU @ 2.20GHz',
  totalMemBytes: 8_335_241_216,
  node: 'v20.20.2',
  platform: 'linux x64',
};

const CLOCK = 'performance.timeOrigin + performance.now(), one host: server and clients share the clock';

/** 20 clients per transport, 60 s at 2 msg/s, short poll every 1 s. */
export const plainSummary: Summary = {
  scenario: 'baseline',
  description:
    'The same feed over all four transports: 2 msg/s of 256-byte messages, 20 clients each, short poll every 1 s.',
  params: {
    rate: 2,
    payloadBytes: PAYLOAD,
    clientsPerTransport: 20,
    durationMs: 60_000,
    warmupMs: 5_000,
    shortPoll: { intervalMs: 1_000 },
    longPoll: { timeoutMs: 25_000 },
  },
  startedAt: '2025-11-25T12:00:00.000Z',
  durationMs: 65_000,
  machine: MACHINE,
  clock: CLOCK,
  transports: {
    'short-poll': transport({
      clients: 20,
      delivered: 2_400,
      expected: 2_400,
      latency: [498.4, 902.1, 991.7, 1_001.3, 1_012.6, 501.2],
      requests: 1_200,
      emptyResponses: 162,
      bytesIn: 228_000,
      bytesOut: 952_962,
      floor: 70.57,
      perSecond: 40,
      seconds: 60,
      wobble: [14, 6, 19, 3, 11, 8],
    }),
    'long-poll': transport({
      clients: 20,
      delivered: 2_400,
      expected: 2_400,
      duplicates: 2,
      latency: [0.92, 1.41, 3.18, 6.07, 9.84, 1.05],
      requests: 2_412,
      emptyResponses: 0,
      bytesIn: 472_752,
      bytesOut: 1_284_936,
      floor: 152,
      perSecond: 40,
      seconds: 60,
      wobble: [1, 0, 2, 0, 1],
    }),
    sse: transport({
      clients: 20,
      delivered: 2_400,
      expected: 2_400,
      latency: [0.61, 0.88, 2.07, 4.81, 7.46, 0.68],
      requests: 20,
      emptyResponses: 0,
      bytesIn: 3_040,
      bytesOut: 689_100,
      floor: 29,
      perSecond: 40,
      seconds: 60,
      wobble: [0, 1, 0],
    }),
    websocket: transport({
      clients: 20,
      delivered: 2_400,
      expected: 2_400,
      latency: [0.44, 0.69, 1.62, 3.91, 6.18, 0.5],
      requests: 20,
      emptyResponses: 0,
      bytesIn: 4_900,
      bytesOut: 628_100,
      floor: 4,
      perSecond: 40,
      seconds: 60,
      wobble: [0, 0, 1],
    }),
  },
  capacity: [
    {
      route: '/api/poll',
      connections: 10,
      durationS: 10,
      requestsPerSec: 9_850,
      latencyMs: { p50: 0.9, p99: 2.4 },
      baseline: { name: 'bare node:http', requestsPerSec: 10_420, ratio: 0.945 },
    },
  ],
  server: { cpuMs: 1_843, rssMaxBytes: 96_468_992, cpuUsPerDelivered: 191.98 },
  phases: [
    { name: 'warm-up', startMs: 0, endMs: 5_000, cpuMs: 140, rssMaxBytes: 88_080_384 },
    { name: 'measure', startMs: 5_000, endMs: 65_000, cpuMs: 1_703, rssMaxBytes: 96_468_992 },
  ],
  expectations: [
    { text: 'short-poll p50 latency ≈ T/2 = 500 ms (±20 %)', pass: true, detail: 'measured 498 ms' },
    { text: 'sse and websocket p99 latency < 10 ms', pass: true, detail: 'sse 2.07 ms, websocket 1.62 ms' },
    { text: 'no message lost on any transport', pass: true },
    { text: 'no duplicates on any transport', pass: false, detail: 'long-poll: 2 duplicates' },
    { text: 'short-poll makes clients / T = 20 requests/s (±5 %)', pass: true, detail: '20.0 requests/s' },
  ],
};

// ---------------------------------------------------------------------------------------------
// The sweep: short-poll interval T from 100 ms to 5 s; the other transports do not depend on it.

const RATE = 2;
const SWEEP_CLIENTS = 10;
const SWEEP_SECONDS = 30;
/** Request line + headers both ways + JSON envelope of one poll, as measured. */
const POLL_EXCHANGE_BYTES = 471;

interface Stream {
  p50: number;
  p99: number;
  requests: number;
  bytesIn: number;
  bytesOut: number;
  floor: number;
}

function sweepPoint(
  intervalMs: number,
  measured: { p50: number; p99: number },
  streams: Record<Exclude<TransportName, 'short-poll'>, Stream>,
): SweepPoint {
  const delivered = SWEEP_CLIENTS * RATE * SWEEP_SECONDS;
  const perClientPolls = Math.round((SWEEP_SECONDS * 1000) / intervalMs);
  const requests = SWEEP_CLIENTS * perClientPolls;
  const emptyResponses = Math.round(requests * Math.exp((-RATE * intervalMs) / 1000));
  const perMessageModel = 1000 / (RATE * intervalMs);
  const predictedBytes = PAYLOAD + POLL_EXCHANGE_BYTES * perMessageModel;
  const stream = (s: Stream, seqWobble: number[]) =>
    transport({
      clients: SWEEP_CLIENTS,
      delivered,
      expected: delivered,
      latency: [s.p50, s.p50 * 1.5, s.p99, s.p99 * 2.2, s.p99 * 3.1, s.p50 * 1.1],
      requests: s.requests,
      emptyResponses: 0,
      bytesIn: s.bytesIn,
      bytesOut: s.bytesOut,
      floor: s.floor,
      perSecond: SWEEP_CLIENTS * RATE,
      seconds: SWEEP_SECONDS,
      wobble: seqWobble,
    });
  return {
    value: intervalMs,
    transports: {
      'short-poll': transport({
        clients: SWEEP_CLIENTS,
        delivered,
        expected: delivered,
        latency: [
          measured.p50,
          measured.p50 * 1.8,
          measured.p99,
          measured.p99 * 1.01,
          measured.p99 * 1.02,
          measured.p50 * 1.01,
        ],
        requests,
        emptyResponses,
        bytesIn: requests * 190,
        // Headers and envelope of every poll, plus the payload plus 3 % measurement noise.
        bytesOut: Math.round((requests * (POLL_EXCHANGE_BYTES - 190) + delivered * PAYLOAD) * 1.03),
        floor: Math.max(17, 146 * Math.min(1, 100 / intervalMs) ** 0.5),
        perSecond: SWEEP_CLIENTS * RATE,
        seconds: SWEEP_SECONDS,
        wobble: [Math.min(18, intervalMs / 100), 4, 9],
      }),
      'long-poll': stream(streams['long-poll'], [1, 0]),
      sse: stream(streams.sse, [0, 1]),
      websocket: stream(streams.websocket, [0]),
    },
    predicted: {
      'short-poll': {
        p50: intervalMs / 2,
        p99: intervalMs * 0.99,
        requestsPerMessage: perMessageModel,
        bytesPerMessage: predictedBytes,
        overheadPct: (100 * (predictedBytes - PAYLOAD)) / predictedBytes,
      },
      websocket: { bytesPerMessage: PAYLOAD + 4, overheadPct: (100 * 4) / (PAYLOAD + 4) },
    },
    server: { cpuMs: 310 + Math.round(40_000 / intervalMs), rssMaxBytes: 90_177_536 },
  };
}

const streamsAt = (n: number): Record<Exclude<TransportName, 'short-poll'>, Stream> => ({
  'long-poll': {
    p50: 0.9 + 0.03 * n,
    p99: 3.1 + 0.1 * n,
    requests: 606,
    bytesIn: 118_776,
    bytesOut: 322_068,
    floor: 152,
  },
  sse: { p50: 0.6 + 0.02 * (n % 2), p99: 2.0 + 0.05 * n, requests: 10, bytesIn: 1_520, bytesOut: 171_300, floor: 29 },
  websocket: {
    p50: 0.44 + 0.01 * (n % 3),
    p99: 1.6 + 0.04 * n,
    requests: 10,
    bytesIn: 2_450,
    bytesOut: 156_300,
    floor: 4,
  },
});

const sweepPoints: SweepPoint[] = [
  sweepPoint(100, { p50: 51.3, p99: 99.8 }, streamsAt(0)),
  sweepPoint(250, { p50: 126.2, p99: 248.1 }, streamsAt(1)),
  sweepPoint(500, { p50: 249.4, p99: 495.6 }, streamsAt(2)),
  sweepPoint(1_000, { p50: 503.1, p99: 990.4 }, streamsAt(3)),
  sweepPoint(2_000, { p50: 1_004.7, p99: 1_981.2 }, streamsAt(4)),
  sweepPoint(5_000, { p50: 2_488.9, p99: 4_950.3 }, streamsAt(5)),
];

export const sweepSummary: Summary = {
  scenario: 'poll-interval-sweep',
  description:
    'Short-poll interval T from 100 ms to 5 s at 2 msg/s: latency follows T/2, requests per message follow 1/(λT).',
  params: {
    rate: RATE,
    payloadBytes: PAYLOAD,
    clientsPerTransport: SWEEP_CLIENTS,
    durationMsPerPoint: SWEEP_SECONDS * 1000,
    intervalsMs: sweepPoints.map((p) => p.value),
  },
  startedAt: '2025-11-25T13:00:00.000Z',
  durationMs: sweepPoints.length * SWEEP_SECONDS * 1000,
  machine: MACHINE,
  clock: CLOCK,
  transports: sweepPoints[sweepPoints.length - 1].transports,
  sweep: { parameter: 'short-poll interval', unit: 'ms', points: sweepPoints },
  server: { cpuMs: 2_410, rssMaxBytes: 90_177_536, cpuUsPerDelivered: 100.4 },
  phases: sweepPoints.map((p, i) => ({
    name: `T = ${p.value} ms`,
    startMs: i * SWEEP_SECONDS * 1000,
    endMs: (i + 1) * SWEEP_SECONDS * 1000,
    cpuMs: p.server.cpuMs,
    rssMaxBytes: p.server.rssMaxBytes,
  })),
  expectations: [
    {
      text: 'short-poll p50 follows T/2 within 10 % at every interval',
      pass: true,
      detail: 'worst: 2.6 % at T = 100 ms',
    },
    { text: 'short-poll requests per message ≈ 1/(λT)', pass: true },
    { text: 'sse and websocket p50 independent of T (spread < 1 ms)', pass: true, detail: 'spread 0.04 ms' },
  ],
};
