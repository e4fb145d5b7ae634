/**
 * Fixed, realistic summaries for the renderers' tests and for eyeballing the charts: a plain
 * run of all four transports (with an HTTP capacity phase), a sweep of the short-poll interval,
 * a reconnect run with resuming and naive client groups, and a fan-out sweep over client counts
 * with the server's CPU per transport.
 *
 * Numbers follow the lab's models (FACTS.md) and its reference results: 2 msg/s of 256-byte
 * messages, a short poll waits T/2 on average and makes 1/(λT) requests per message, the streams
 * cost their framing floor plus a little. Counts are consistent: bytesPerMessage = (bytesIn +
 * bytesOut) / countedMessages (or / delivered where that is absent), etc.
 */
import type { TransportName } from '../../contract/index.js';

/** The fixtures model reference results of the first four transports (Socket.IO came later). */
type FixtureTransport = Exclude<TransportName, 'socket.io'>;

import type { GroupSummary, Summary, SweepPoint, TransportSummary } from '../summary.js';

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
  /** Messages received while the counters ran: the divisor of the per-message ratios when given. */
  countedMessages?: number;
  /** Anything else the runner adds (lostDetected, clientLoopDelayMs, serverCost…), or a timeline. */
  extra?: Partial<TransportSummary>;
}

function timeline(perSecond: number, seconds: number, wobble: number[]): number[] {
  return Array.from({ length: seconds }, (_, i) => {
    const w = wobble.length === 0 ? 0 : wobble[Math.floor(i / 2) % wobble.length];
    return perSecond + (i % 2 === 0 ? w : -w);
  });
}

function transport(c: Counts): TransportSummary {
  const [p50, p90, p99, p999, max, mean] = c.latency;
  const divisor = c.countedMessages ?? c.delivered;
  const payloadBytes = divisor * PAYLOAD;
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
    bytesPerMessage: (c.bytesIn + c.bytesOut) / divisor,
    payloadPerMessage: payloadBytes / divisor,
    floorOverheadPerMessage: c.floor,
    requestsPerMessage: c.requests / divisor,
    timeline: timeline(c.perSecond, c.seconds, c.wobble),
  };
  if (c.recoveryMs !== undefined) summary.recoveryMs = c.recoveryMs;
  if (c.countedMessages !== undefined) summary.countedMessages = c.countedMessages;
  return { ...summary, ...c.extra };
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
      countedMessages: 2_400,
      extra: {
        countedMs: 60_000,
        lostDetected: 0,
        clientLoopDelayMs: { p50: 0.09, p99: 1.8, max: 8.7 },
      },
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
      countedMessages: 2_400,
      extra: {
        countedMs: 60_000,
        lostDetected: 0,
        clientLoopDelayMs: { p50: 0.06, p99: 2.1, max: 9.3 },
      },
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
      countedMessages: 2_400,
      extra: {
        countedMs: 60_000,
        lostDetected: 0,
        clientLoopDelayMs: { p50: 0.12, p99: 1.5, max: 4.6 },
      },
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
      countedMessages: 2_400,
      extra: {
        countedMs: 60_000,
        lostDetected: 0,
        clientLoopDelayMs: { p50: 0.06, p99: 1.2, max: 5.1 },
      },
    }),
  },
  // As the runner writes it: the lab and bare Fastify, each against bare node:http answering the
  // same body; CPU per request from /proc; autocannon's latencies in whole ms (0: under one).
  capacity: [
    {
      route: '/api/poll (lab)',
      connections: 10,
      durationS: 3,
      requestsPerSec: 40_980,
      latencyMs: { p50: 0, p99: 1 },
      baseline: { name: 'bare node:http, same body', requestsPerSec: 74_300, ratio: 40_980 / 74_300 },
      pipelining: 1,
      rounds: 3,
      errors: 0,
      serverCpuUsPerRequest: 24.16,
      baselineCpuUsPerRequest: 12.7,
      serverCpuShare: 0.99,
    },
    {
      route: '/api/poll (bare Fastify, same body)',
      connections: 10,
      durationS: 3,
      requestsPerSec: 66_057,
      latencyMs: { p50: 0, p99: 0 },
      baseline: { name: 'bare node:http, same body', requestsPerSec: 74_300, ratio: 66_057 / 74_300 },
      pipelining: 1,
      rounds: 3,
      errors: 0,
      serverCpuUsPerRequest: 14.26,
      baselineCpuUsPerRequest: 12.7,
      serverCpuShare: 0.942,
    },
  ],
  server: { cpuMs: 1_843, rssMaxBytes: 96_468_992, cpuUsPerDelivered: 191.98 },
  runner: { cpuMs: 4_210, eventLoopDelayMs: { p50: 0.1, p99: 1.65, max: 13 } },
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
  streams: Record<Exclude<FixtureTransport, 'short-poll'>, Stream>,
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

const streamsAt = (n: number): Record<Exclude<FixtureTransport, 'short-poll'>, Stream> => ({
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

// ---------------------------------------------------------------------------------------------
// Reconnect: forced drops (a proxy cut at 6 s, a server cut at 14 s, a restart at 22 s), 8
// resuming and 8 naive (resume off) clients per transport, 20 msg/s for 30 s. Modelled on
// results/reconnect: a naive stream loses what was published while it was away, part of it
// invisibly (the restart's new epoch); both short-poll groups lose the old epoch's tail.

const RECONNECT_CLIENTS = 8;
const RECONNECT_EXPECTED = RECONNECT_CLIENTS * 20 * 30;

/** 160 deliveries a second, changed at some seconds, then the drain's stragglers. */
function reconnectTimeline(changes: Record<number, number>): number[] {
  return [...Array.from({ length: 30 }, (_, i) => changes[i] ?? 160), 16];
}

interface GroupCounts {
  name: string;
  transport: TransportName;
  resume: boolean;
  delivered: number;
  lostDetected: number;
  resets: number;
  recoveryMs: number;
  latency: [p50: number, p99: number];
  requests: number;
  bytesPerMessage: number;
  floor: number;
  errors?: Record<string, number>;
  timeline: Record<number, number>;
}

function group(g: GroupCounts): GroupSummary {
  const counted = g.delivered - RECONNECT_CLIENTS;
  const bytesIn = g.requests * 190;
  const bytesOut = Math.round(g.bytesPerMessage * counted) - bytesIn;
  const [p50, p99] = g.latency;
  const summary = transport({
    clients: RECONNECT_CLIENTS,
    delivered: g.delivered,
    expected: RECONNECT_EXPECTED,
    lost: RECONNECT_EXPECTED - g.delivered,
    resets: g.resets,
    latency: [p50, Math.min(p99, p50 * 2), p99, p99 * 1.05, p99 * 1.1, p50 * 1.2],
    requests: g.requests,
    emptyResponses: 0,
    bytesIn,
    bytesOut,
    floor: g.floor,
    perSecond: 160,
    seconds: 30,
    wobble: [],
    recoveryMs: g.recoveryMs,
    countedMessages: counted,
    extra: {
      countedMs: 30_000,
      lostDetected: g.lostDetected,
      clientLoopDelayMs: { p50: 0.09, p99: 3.1, max: 9.7 },
      timeline: reconnectTimeline(g.timeline),
      ...(g.errors ? { clientErrors: g.errors } : {}),
    },
  });
  return { name: g.name, transport: g.transport, resume: g.resume, ...summary };
}

const reconnectGroups: GroupSummary[] = [
  group({
    name: 'short-poll',
    transport: 'short-poll',
    resume: true,
    delivered: 4_739,
    lostDetected: 0,
    resets: 8,
    recoveryMs: 531.9,
    latency: [497.9, 993.8],
    requests: 240,
    bytesPerMessage: 283.5,
    floor: 8.76,
    timeline: { 0: 68, 22: 125, 23: 118 },
  }),
  group({
    name: 'naive-short-poll',
    transport: 'short-poll',
    resume: false,
    delivered: 4_739,
    lostDetected: 0,
    resets: 8,
    recoveryMs: 452.3,
    latency: [497.2, 993.3],
    requests: 240,
    bytesPerMessage: 283.9,
    floor: 8.76,
    timeline: { 0: 69, 22: 125, 23: 119 },
  }),
  group({
    name: 'long-poll',
    transport: 'long-poll',
    resume: true,
    delivered: 4_800,
    lostDetected: 0,
    resets: 8,
    recoveryMs: 98.68,
    latency: [2.647, 10.69],
    requests: 4_800,
    bytesPerMessage: 782.3,
    floor: 158,
    errors: { NETWORK: 16 },
    timeline: { 22: 144 },
  }),
  group({
    name: 'naive-long-poll',
    transport: 'long-poll',
    resume: false,
    delivered: 4_758,
    lostDetected: 42,
    resets: 8,
    recoveryMs: 122.2,
    latency: [2.451, 9.551],
    requests: 4_782,
    bytesPerMessage: 790.9,
    floor: 158,
    errors: { NETWORK: 16 },
    timeline: { 6: 140, 14: 138, 22: 144 },
  }),
  group({
    name: 'sse',
    transport: 'sse',
    resume: true,
    delivered: 4_800,
    lostDetected: 0,
    resets: 8,
    recoveryMs: 780.3,
    latency: [3.719, 916],
    requests: 24,
    bytesPerMessage: 291.7,
    floor: 32,
    errors: { NETWORK: 24 },
    timeline: { 6: 8, 7: 312, 14: 14, 15: 306, 22: 96, 23: 208 },
  }),
  group({
    name: 'naive-sse',
    transport: 'sse',
    resume: false,
    delivered: 4_737,
    lostDetected: 39,
    resets: 0,
    recoveryMs: 125.9,
    latency: [3.267, 8.767],
    requests: 24,
    bytesPerMessage: 291.3,
    floor: 32,
    errors: { NETWORK: 24 },
    timeline: { 6: 141, 14: 140, 22: 120 },
  }),
  group({
    name: 'websocket',
    transport: 'websocket',
    resume: true,
    delivered: 4_800,
    lostDetected: 0,
    resets: 8,
    recoveryMs: 116.5,
    latency: [1.272, 36.67],
    requests: 24,
    bytesPerMessage: 263.3,
    floor: 4,
    errors: { NETWORK: 16, CLOSED: 8 },
    timeline: { 22: 144 },
  }),
  group({
    name: 'naive-websocket',
    transport: 'websocket',
    resume: false,
    delivered: 4_734,
    lostDetected: 46,
    resets: 0,
    recoveryMs: 135.9,
    latency: [0.634, 6.671],
    requests: 24,
    bytesPerMessage: 263.2,
    floor: 4,
    errors: { NETWORK: 16, CLOSED: 8 },
    timeline: { 6: 132, 14: 142, 22: 124 },
  }),
];

/** A `GroupSummary` as `transports.<name>` holds it: without the group's own fields. */
function asTransport(g: GroupSummary): TransportSummary {
  const { name: _name, transport: _transport, resume: _resume, ...rest } = g;
  return rest;
}

export const reconnectSummary: Summary = {
  scenario: 'reconnect',
  description:
    'Forced drops at 20 msg/s: a cut at the proxies, a cut by the server, a server restart; 8 resuming and 8 naive (resume off) clients per transport, 30 s.',
  params: {
    rate: 20,
    payloadBytes: PAYLOAD,
    durationMs: 30_000,
    warmupMs: 2_000,
    faults: [
      { atMs: 6_000, kind: 'cut', via: 'proxy' },
      { atMs: 14_000, kind: 'cut', via: 'server' },
      { atMs: 22_000, kind: 'restart' },
    ],
    serverRestarts: 1,
  },
  startedAt: '2025-11-25T14:00:00.000Z',
  durationMs: 35_600,
  machine: MACHINE,
  clock: CLOCK,
  // Each transport's first group: the resuming one.
  transports: Object.fromEntries(reconnectGroups.filter((g) => g.resume).map((g) => [g.transport, asTransport(g)])),
  groups: reconnectGroups,
  server: { cpuMs: 3_180, rssMaxBytes: 135_225_344, cpuUsPerDelivered: 83.59 },
  phases: [
    { name: 'warm-up', startMs: 556, endMs: 4_155, cpuMs: 260, rssMaxBytes: 109_060_096 },
    { name: 'measure', startMs: 4_155, endMs: 34_285, cpuMs: 3_180, rssMaxBytes: 135_225_344 },
    { name: 'drain', startMs: 34_285, endMs: 35_264, cpuMs: 30, rssMaxBytes: 135_225_344 },
  ],
  expectations: [
    {
      text: 'resuming long-poll, sse and websocket clients lose nothing and see nothing twice, through all three faults',
      pass: true,
    },
    {
      text: 'naive long-poll, sse and websocket clients (resume off) lose messages',
      pass: true,
      detail: 'naive-long-poll lost 42 (0.88 %); naive-sse lost 63 (1.3 %); naive-websocket lost 66 (1.4 %)',
    },
  ],
  runner: { cpuMs: 7_715, eventLoopDelayMs: { p50: 0.09, p99: 3.82, max: 13.2 } },
};

// ---------------------------------------------------------------------------------------------
// Fan-out: 100 → 2 000 clients per transport, one transport at a time (so the server's CPU is
// that transport's: `serverCost`), 2 msg/s for 5 s per run. Modelled on results/fan-out.

const FAN_OUT_RATE = 2;
const FAN_OUT_SECONDS = 5;

interface FanOutCell {
  p50: number;
  p99: number;
  loopP99: number;
  cpuMs: number;
  bytesPerMessage: number;
  rssMiB: number;
}

function fanOutTransport(t: FixtureTransport, clients: number, c: FanOutCell): TransportSummary {
  const delivered = clients * FAN_OUT_RATE * FAN_OUT_SECONDS;
  const requests = t === 'short-poll' ? clients * FAN_OUT_SECONDS : t === 'long-poll' ? delivered : 0; // streams opened before the window
  const bytesIn = requests * 190;
  return transport({
    clients,
    delivered,
    expected: delivered,
    latency: [c.p50, (c.p50 + c.p99) / 2, c.p99, c.p99 * 1.03, c.p99 * 1.05, c.p50 * 1.05],
    requests,
    emptyResponses: 0,
    bytesIn,
    bytesOut: Math.round(c.bytesPerMessage * delivered) - bytesIn,
    floor: { 'short-poll': 76.9, 'long-poll': 158, sse: 32, websocket: 4 }[t],
    perSecond: clients * FAN_OUT_RATE,
    seconds: FAN_OUT_SECONDS,
    wobble: [0],
    countedMessages: delivered,
    extra: {
      countedMs: FAN_OUT_SECONDS * 1000,
      lostDetected: 0,
      clientLoopDelayMs: { p50: 0.1, p99: c.loopP99, max: c.loopP99 * 1.2 },
      serverCost: {
        cpuMs: c.cpuMs,
        rssMaxBytes: c.rssMiB * 1_048_576,
        cpuUsPerDelivered: (c.cpuMs * 1000) / delivered,
      },
    },
  });
}

type FanOutRow = Record<FixtureTransport, FanOutCell>;

const cell = (p50: number, p99: number, loopP99: number, cpuMs: number, bytesPerMessage: number, rssMiB: number) => ({
  p50,
  p99,
  loopP99,
  cpuMs,
  bytesPerMessage,
  rssMiB,
});

const FAN_OUT: [clients: number, row: FanOutRow][] = [
  [
    100,
    {
      'short-poll': cell(500.7, 989.2, 1.49, 240, 510.3, 104),
      'long-poll': cell(17.33, 46.27, 15.2, 310, 808.3, 101),
      sse: cell(6.795, 15.66, 4.27, 40, 287.6, 104),
      websocket: cell(4.167, 7.067, 0.854, 60, 260.7, 105),
    },
  ],
  [
    500,
    {
      'short-poll': cell(500.7, 993.8, 1.02, 480, 511, 120),
      'long-poll': cell(38.02, 71.55, 19.85, 460, 786.2, 129),
      sse: cell(16.82, 41.57, 4.23, 120, 277.9, 133),
      websocket: cell(11.26, 19.97, 2.68, 100, 256.6, 134),
    },
  ],
  [
    1_000,
    {
      'short-poll': cell(501.2, 989.2, 1.01, 450, 512, 129),
      'long-poll': cell(71.94, 130.9, 58.68, 720, 751.4, 169),
      sse: cell(31.17, 51.52, 8.25, 140, 291.1, 191),
      websocket: cell(18.74, 29.22, 3.16, 140, 250.7, 205),
    },
  ],
  [
    2_000,
    {
      'short-poll': cell(501, 992.3, 1.07, 710, 512.3, 214),
      'long-poll': cell(142.3, 261.1, 257, 1_520, 777.3, 256),
      sse: cell(66.43, 99.46, 64.25, 250, 271.8, 177),
      websocket: cell(37.82, 54.27, 19.69, 270, 251, 181),
    },
  ],
];

const fanOutPoints: SweepPoint[] = FAN_OUT.map(([clients, row]) => ({
  value: clients,
  transports: Object.fromEntries(
    (Object.keys(row) as FixtureTransport[]).map((t) => [t, fanOutTransport(t, clients, row[t])]),
  ),
  predicted: { 'short-poll': { p50: 500, p99: 990, requestsPerMessage: 0.5 } },
  server: {
    cpuMs: Object.values(row).reduce((sum, c) => sum + c.cpuMs, 0),
    rssMaxBytes: Math.max(...Object.values(row).map((c) => c.rssMiB)) * 1_048_576,
  },
}));

export const fanOutSummary: Summary = {
  scenario: 'fan-out',
  description:
    'Fan-out: 100 → 2 000 clients per transport, one transport at a time, 2 msg/s of 256 B, short poll every 1 s, 5 s measured per run: p99 and server CPU per delivered message.',
  params: {
    rate: FAN_OUT_RATE,
    payloadBytes: PAYLOAD,
    durationMs: FAN_OUT_SECONDS * 1000,
    sweep: {
      parameter: 'clients per transport',
      unit: 'clients',
      values: FAN_OUT.map(([clients]) => clients),
      oneTransportAtATime: true,
    },
  },
  startedAt: '2025-11-25T15:00:00.000Z',
  durationMs: 134_000,
  machine: MACHINE,
  clock: CLOCK,
  transports: fanOutPoints[fanOutPoints.length - 1].transports,
  sweep: { parameter: 'clients per transport', unit: 'clients', points: fanOutPoints },
  server: { cpuMs: 6_010, rssMaxBytes: 270_802_944, cpuUsPerDelivered: 40.27 },
  // One measurement per point and transport (warm-ups and drains left out here).
  phases: FAN_OUT.flatMap(([clients, row], i) =>
    (Object.keys(row) as FixtureTransport[]).map((t, j) => {
      const startMs = (i * 4 + j) * 8_000 + 3_000;
      return {
        name: `clients per transport = ${clients} clients: ${t} measure`,
        startMs,
        endMs: startMs + FAN_OUT_SECONDS * 1000,
        cpuMs: row[t].cpuMs,
        rssMaxBytes: row[t].rssMiB * 1_048_576,
      };
    }),
  ),
  expectations: [
    {
      text: 'at the largest crowd, sse and websocket cost the server less CPU per delivered message than long-poll',
      pass: true,
      detail: 'at 2000 clients: short-poll 35.5 µs, long-poll 76 µs, sse 12.5 µs, websocket 13.5 µs',
    },
  ],
  runner: { cpuMs: 13_142, eventLoopDelayMs: { p50: 0.12, p99: 4.1, max: 12.3 } },
};
