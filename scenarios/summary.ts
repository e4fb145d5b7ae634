/**
 * The shape of `results/<scenario>/<timestamp>/summary.json` (scenarios/README.md says how it is measured): the source of truth.
 * Every table, chart and report is drawn from it and nothing else. Written once, as TypeBox schemas: the
 * TypeScript types are their `Static`, and scenarios/validate.ts checks a file against the same schemas.
 * Each leaf schema carries `expected`, the words validate.ts puts in its message ("expected a count …").
 */
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import type { ClassAggregate, ClassExperiment } from '../contract/classroom.js';
import { TRANSPORTS, type TransportName } from '../contract/index.js';
import type { ResolvedNetwork } from '../contract/networks.js';
import type { RepeatReport } from './repeat.js';
import { ScaleOutSchema } from './scale-out/result.js';
import { StormSchema } from './storm/result.js';
import { Bool, Count, List, Num, NumOrNull, Obj, Str } from './summary-leaves.js';

const IsoUtc = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$',
  expected: 'an ISO-8601 UTC time',
});
const Counts = Type.Record(Type.String(), Count, { expected: 'an object' });
/** `transports`-like: keys are transport names only, each optional. */
const PerTransport = <T extends TSchema>(item: T, nonEmpty: boolean) =>
  Type.Object(
    {
      'short-poll': Type.Optional(item),
      'long-poll': Type.Optional(item),
      sse: Type.Optional(item),
      websocket: Type.Optional(item),
      'socket.io': Type.Optional(item),
    } satisfies Record<TransportName, TSchema>,
    {
      additionalProperties: false,
      unknownKey: `not a transport (expected one of ${TRANSPORTS.join(', ')})`,
      expected: 'an object keyed by transport',
      ...(nonEmpty ? { minProperties: 1, tooFew: 'at least one transport' } : {}),
    },
  );
/** Shapes summary.json carries but this schema does not look into (their types are their own files'). */
const Opaque = <T>() => Type.Unsafe<T>(Type.Object({}, { expected: 'an object' }));

/** The client's latency summary (ms, client/latency.ts), plus the histogram it came from. */
export const LatencySummarySchema = Obj({
  count: Count,
  p50: Num,
  p90: Num,
  p99: Num,
  p999: Num,
  max: Num,
  mean: Num,
  /** The HDR histogram (hdr-histogram-js), compressed base64, in microseconds. */
  histogram: Str,
});
export type LatencySummary = Static<typeof LatencySummarySchema>;

const Percentiles = Obj({ p50: Num, p99: Num, max: Num });
/** `true` only when A and B have the same shape: a compile-time check that a schema and a contract type agree. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const Texts = List(Str);

/** The network a group's clients were on (contract/networks.ts), and what its shaper did and cost (tools/shaper.ts). */
export const NetworkReportSchema = Obj({
  /** The profile name, or `<name>+custom` when parameters were overridden. */
  name: Str,
  profile: Str,
  label: Str,
  source: Str,
  rttMs: Num,
  jitterMs: Num,
  downKbps: Num,
  upKbps: Num,
  lossPercent: Num,
  idleTimeoutS: Num,
  bufferKiB: Num,
  // Numbers, not counts: a repeated run's mean of them (scenarios/repeat.ts) is kept unrounded, as the
  // committed repeated references carry it.
  shaper: Obj({
    segments: Num,
    /** Segments held for a retransmission timeout (the profile's loss). */
    stalls: Num,
    /** Connections the profile's idle timeout cut silently. */
    idleCuts: Num,
    /** How late the shaper's deliveries were against its own schedule, ms (bucket upper bounds). */
    latenessMs: Percentiles,
    /**
     * The part of that lateness the shaper's own work caused (waiting behind its own deliveries), ms
     * (bucket upper bounds); the rest is its thread's event-loop delay. Absent in runs before it was kept.
     */
    ownLatenessMs: Type.Optional(Obj({ p50: Num, p99: Num })),
    /** Share of the window the group's thread (its clients and this shaper) was busy. */
    threadBusyShare: Num,
    /**
     * The shaper, not the profile, set part of the delay: the lateness of its own making has a p99 above
     * max(5 ms, 10 % of the one-way delay) (before ownLatenessMs was kept: the whole lateness).
     */
    bottleneck: Bool,
  }),
});
export type NetworkReport = Static<typeof NetworkReportSchema>;
// The report carries every field of the resolved network: a field added there must be added here.
const _networkReportCarriesTheNetwork: Same<ResolvedNetwork, Omit<NetworkReport, 'shaper'>> = true;

/** What a class of student pages saw while measuring (scenarios/class-pages.ts). */
export const PageLoadSummarySchema = Obj({
  pages: Count,
  /** Stats events received, and how many the pages' intervals called for. */
  statsEvents: Count,
  statsEventsExpected: Count,
  /** The time between two stats events of one page beyond the interval, ms (p50, p99, max). */
  statsLatenessMs: Percentiles,
  /** Reports sent in the window and answered 200, and those that failed (however late the answer). */
  reports: Count,
  reportFailures: Count,
  /** Report round trip, ms (p50, p99). */
  reportRttMs: Obj({ p50: Num, p99: Num }),
  classViews: Count,
  classViewFailures: Count,
  /** Bytes of the pages' own traffic (joins aside: stats streams, reports, class view), at their sockets. */
  bytesIn: Count,
  bytesOut: Count,
});
export type PageLoadSummary = Static<typeof PageLoadSummarySchema>;

/** One class size of the classroom scenario: within budget or not, and why. */
export const ClassSizeVerdictSchema = Obj({
  pages: Count,
  pass: Bool,
  /** Why it failed (empty when it passed). */
  reasons: Texts,
  /** Each lane's p99 event age against its budget (its transport's floor + the budget), ms. */
  lanes: PerTransport(Obj({ p99: Num, budgetMs: Num, lost: Count }), false),
  /** The server's CPU per student page (five lanes, its stats stream, its reports), ms per second. */
  serverCpuMsPerPagePerS: Num,
  /** The server's CPU over the window as a share of one core. */
  serverCpuShare: Num,
  /** What the pages themselves saw (scenarios/class-pages.ts). */
  pageLoad: PageLoadSummarySchema,
});
export type ClassSizeVerdict = Static<typeof ClassSizeVerdictSchema>;

/** The classroom scenario's answer (scenarios/class-capacity.ts): the class this machine holds. */
export const ClassCapacitySchema = Obj({
  /** A lane may exceed its transport's floor by this much at p99, ms. */
  budgetMs: Num,
  /** The largest class size that passed, every smaller one passing too; null when the smallest failed. */
  largestClass: Type.Union([Count, Type.Null()], { expected: 'a count or null' }),
  triedUpTo: Count,
  verdicts: List(ClassSizeVerdictSchema),
});
export type ClassCapacity = Static<typeof ClassCapacitySchema>;

/** The class view's aggregate at one moment (contract/classroom.ts ClassAggregate). */
const ClassAggregateSchema = Obj({
  at: Num,
  transports: PerTransport(Obj({ students: Count, medianP50: NumOrNull, medianP99: NumOrNull, lost: Count }), false),
});
/** A classroom export (server/classroom/export.ts): every student's own numbers, and the class-wide experiments. */
export const ClassSummarySchema = Obj({
  students: List(
    Obj({
      name: Str,
      rttMs: NumOrNull,
      slow: Bool,
      lanes: PerTransport(
        Obj({ p50: NumOrNull, p99: NumOrNull, received: Count, lost: Count, duplicated: Count }),
        false,
      ),
    }),
  ),
  experiments: List(
    Obj({
      id: Count,
      kind: Type.Union([Type.Literal('cut-all'), Type.Literal('rate')], { expected: '"cut-all" or "rate"' }),
      label: Str,
      at: Num,
      before: ClassAggregateSchema,
      /** Taken CLASS_AFTER_MS later; null until then. */
      after: Type.Union([ClassAggregateSchema, Type.Null()], { expected: 'an aggregate or null' }),
    }),
  ),
});
export type ClassSummary = Static<typeof ClassSummarySchema>;
// The contract's experiment and aggregate are what this schema checks: the two stay one shape.
const _experimentsAreTheContracts: Same<
  [ClassExperiment, ClassAggregate],
  [ClassSummary['experiments'][number], Static<typeof ClassAggregateSchema>]
> = true;

const TransportFields = {
  clients: Count,
  /** Distinct feed messages delivered, summed over clients. */
  delivered: Count,
  /** What the clients should have received (sum over clients of the seqs published while they listened). */
  expected: Count,
  lost: Count,
  duplicates: Count,
  reordered: Count,
  resets: Count,
  /** Event age: client receive time − message `ts`, same clock domain, milliseconds. */
  latencyMs: LatencySummarySchema,
  requests: Count,
  emptyResponses: Count,
  /** Wire bytes, as counted at the clients' TCP sockets (in = to the server). */
  bytesIn: Count,
  bytesOut: Count,
  /** The same, as the server's own accounting saw it (for cross-checking). */
  server: Obj({ bytesIn: Count, bytesOut: Count, requests: Count, emptyResponses: Count, messages: Count }),
  /** Payload (message JSON) bytes of the `countedMessages` when present, else of the delivered ones. */
  payloadBytes: Count,
  /**
   * (bytesIn + bytesOut) / countedMessages when present (scenarios/measure.ts), else / delivered;
   * 0 when nothing was counted. The bytes and the messages are counted over the same span, but
   * a burst on either side of its edges moves the divisor, so with few large bursts (fan-out)
   * this can even come out below payloadPerMessage.
   */
  bytesPerMessage: Num,
  /** payloadBytes / countedMessages when present, else / delivered; 0 when nothing was counted. */
  payloadPerMessage: Num,
  /** The protocol floor of framing overhead for one message of that size (contract/floor.ts). */
  floorOverheadPerMessage: Num,
  /** requests / countedMessages when present, else / delivered; 0 when nothing was counted. */
  requestsPerMessage: Num,
  /** Deliveries per second over the run, one bucket a second, for the timeline chart. */
  timeline: List(Num),
  /** Mean time from a forced drop until the next message arrives, ms (reconnect scenarios). */
  recoveryMs: Type.Optional(Num),
  /**
   * How long the counters (requests, bytes, empty responses) ran, ms: from the window's opening
   * to the pause that ends it. Divide by this for rates (requests/s).
   */
  countedMs: Type.Optional(Num),
  /**
   * Distinct messages the clients received while the counters ran. With it present,
   * `payloadBytes` is those messages' bytes, and bytesPerMessage, payloadPerMessage and
   * requestsPerMessage divide by it (not by `delivered`): cost and the messages it carried are
   * then measured over the same time, a steady state. (`delivered` is the seqs published in the
   * window, each audited to the end; a short poll's first answer carries older messages and its
   * drain polls none, so dividing by it would skew the ratios by up to T/window.)
   */
  countedMessages: Type.Optional(Count),
  /**
   * Event-loop delay of the thread that ran this group's simulated clients (one worker thread
   * per group), over the window, ms. Many clients share that thread, so each event age includes
   * up to this much queueing that a real client on its own machine would not see.
   */
  clientLoopDelayMs: Type.Optional(Percentiles),
  /**
   * Added by the scenario runner (optional). Losses the clients could tell by themselves: seq
   * holes plus the `missed` of reset notices. `lost` is the runner's ground truth (it knows every
   * seq published); `lost − lostDetected` is loss no client could see (e.g. a restart's tail).
   */
  lostDetected: Type.Optional(Num),
  /** The network this group's clients were on (absent in results from before networks existed). */
  network: Type.Optional(NetworkReportSchema),
  /** Client-side errors by FeedClientError code (NETWORK, CLOSED, TIMEOUT…), when there were any. */
  clientErrors: Type.Optional(Counts),
  /** Event ages below zero (recorded as 0): the clocks disagree. Present only when non-zero. */
  negativeAges: Type.Optional(Count),
  /**
   * The server's cost while this transport ran ALONE against it (fan-out runs one transport at a
   * time per point), so its CPU is this transport's. `cpuUsPerDelivered` = cpuMs × 1000 /
   * countedMessages (scenarios/run.ts), µs per message received while the counters ran; 0 when
   * none was. /proc counts CPU in 10 ms ticks, so a short, light run is coarse.
   */
  serverCost: Type.Optional(Obj({ cpuMs: Num, rssMaxBytes: Count, cpuUsPerDelivered: Num })),
};

export const TransportSummarySchema = Obj(TransportFields);
export type TransportSummary = Static<typeof TransportSummarySchema>;

/** One client group, when a transport has several (e.g. resume on and resume off). */
export const GroupSummarySchema = Obj({
  ...TransportFields,
  name: Str,
  transport: Type.Unsafe<TransportName>(
    Type.String({ enum: [...TRANSPORTS], expected: `one of ${TRANSPORTS.join(', ')}` }),
  ),
  /** Whether the group's clients reconnect with their cursor. */
  resume: Bool,
});
export type GroupSummary = Static<typeof GroupSummarySchema>;

/** One point of a sweep: a parameter value and the per-transport result at it. */
export const SweepPointSchema = Obj({
  /** The swept parameter's value (poll interval ms, payload bytes, clients per transport…). */
  value: Num,
  transports: PerTransport(TransportSummarySchema, true),
  /** A prediction for this point, where the scenario has a model (e.g. T/2 latency). */
  predicted: Type.Optional(PerTransport(Type.Record(Type.String(), Num, { expected: 'an object' }), false)),
  server: Obj({ cpuMs: Num, rssMaxBytes: Count }),
  /**
   * Every client group at this point, when some transport has more than one (payload-sweep's
   * `websocket` and `websocket-deflate`); `transports.<name>` then holds that transport's first.
   */
  groups: Type.Optional(List(GroupSummarySchema)),
});
export type SweepPoint = Static<typeof SweepPointSchema>;

export const SummarySchema = Obj({
  scenario: Str,
  description: Str,
  params: Type.Record(Type.String(), Type.Unknown(), { expected: 'an object' }),
  startedAt: IsoUtc,
  durationMs: Num,
  machine: Obj({ cpus: Count, cpuModel: Str, totalMemBytes: Count, node: Str, platform: Str }),
  /** The clock domain latencies are measured in. */
  clock: Str,
  // At least one, except in a protocol comparison (h1-vs-h2): validate.ts checks that.
  transports: PerTransport(TransportSummarySchema, false),
  /** Present for sweep scenarios: one entry per swept value; `transports` then holds the last point. */
  sweep: Type.Optional(Obj({ parameter: Str, unit: Str, points: List(SweepPointSchema, true) })),
  /** HTTP capacity phase (autocannon), when the scenario has one. */
  capacity: Type.Optional(
    List(
      Obj({
        route: Str,
        connections: Count,
        durationS: Num,
        requestsPerSec: Num,
        /** autocannon's, in whole milliseconds (its histogram holds integers): 0 means under 1 ms. */
        latencyMs: Obj({ p50: Num, p99: Num }),
        baseline: Type.Optional(Obj({ name: Str, requestsPerSec: Num, ratio: Num })),
        /** Added by the runner (optional): requests in flight per connection, runs averaged, failed requests. */
        pipelining: Type.Optional(Count),
        rounds: Type.Optional(Count),
        errors: Type.Optional(Count),
        /**
         * The serving process's CPU per answered request, µs (/proc utime+stime over the runs), and
         * the baseline's. Independent of whether autocannon or the server was the bottleneck.
         */
        serverCpuUsPerRequest: Type.Optional(Num),
        baselineCpuUsPerRequest: Type.Optional(Num),
        /** The serving process's CPU over the runs, as a share of one core (1 = one core busy). */
        serverCpuShare: Type.Optional(Num),
      }),
    ),
  ),
  /**
   * The lab server over the measurement windows: CPU, peak RSS, and CPU µs per message received
   * while the counters ran (cpuMs × 1000 / the sum of every group's `countedMessages`).
   */
  server: Obj({ cpuMs: Num, rssMaxBytes: Count, cpuUsPerDelivered: Num }),
  phases: List(Obj({ name: Str, startMs: Num, endMs: Num, cpuMs: Num, rssMaxBytes: Count }), true),
  expectations: List(Obj({ text: Str, pass: Bool, detail: Type.Optional(Str) })),
  /**
   * Added by the scenario runner (optional): every client group, when some transport has more
   * than one (`transports.<name>` then holds that transport's first group).
   */
  groups: Type.Optional(List(GroupSummarySchema)),
  /**
   * The runner process: its CPU over the measurements (every thread: the clients and proxies run
   * in worker threads, one per group), and its main thread's event-loop delay in the worst
   * window (control, faults, server API; each group's own is its `clientLoopDelayMs`).
   */
  runner: Type.Optional(Obj({ cpuMs: Num, eventLoopDelayMs: Percentiles })),
  /**
   * Present when the runner published the feed itself (arrivals `even` or `poisson`, through
   * `POST /api/publish`): how many publishes the server accepted, and how many failed. A failed
   * publish is a message no client could receive; it is shown, never dropped.
   */
  publisher: Type.Optional(Obj({ published: Count, failed: Count })),
  /**
   * Present in a classroom export (server/classroom/export.ts): every student's own numbers, and the
   * class-wide experiments with their before/after.
   */
  class: Type.Optional(ClassSummarySchema),
  /** Present for a classroom scenario (scenarios/class-capacity.ts): the class this machine holds. */
  classCapacity: Type.Optional(ClassCapacitySchema),
  /** Present for the h1-vs-h2 scenario: the same transports over HTTP/1.1, h2c and h2+TLS. */
  protocols: Type.Optional(Opaque<ProtocolComparison>()),
  /**
   * Present when the run was repeated (`--repeat N`, scenarios/repeat.ts): every number above is then
   * the mean of N runs, and this holds each run's summary and the mean, spread, min and max of each number.
   */
  repeat: Type.Optional(Opaque<RepeatReport>()),
  /**
   * Present for the scale-out scenario (scenarios/scale-out/): 1…N lab instances on one Redis feed behind
   * HAProxy without stickiness, a fault run (instance kill, Redis restart) and the stickiness probe.
   */
  scaleOut: Type.Optional(ScaleOutSchema),
  /**
   * Present for the storm scenario (scenarios/storm/): a mixed fleet dropped at once by a server
   * SIGKILL + restart and by a reset of every connection; the recovery curve and audits per drop.
   */
  storm: Type.Optional(StormSchema),
});
export type Summary = Static<typeof SummarySchema>;

/** For validate.ts: the schema type every object here is. */
export type ObjectSchema = TObject;

/** One transport over one protocol in the h1-vs-h2 scenario (scenarios/h1-vs-h2/compare.ts). */
export interface ProtocolRun {
  protocol: 'http/1.1' | 'h2c' | 'h2';
  transport: 'short-poll' | 'long-poll' | 'sse';
  /** Messages the server's ledger counted for this client in the accounting pass. */
  messages: number;
  requests: number;
  /** TCP connections the client opened (HTTP/2: one session for everything). */
  connections: number;
  requestsPerConnection: number;
  /** Bytes at the server's TCP socket, in + out, per message (TLS: ciphertext, handshake excluded). */
  wirePerMessage: number;
  payloadPerMessage: number;
  /** Wire bytes of each exchange, in order (poll: a request and its answer; SSE: one event). */
  wirePerExchange: number[];
  /** Header bytes of each exchange, both directions (h2: HEADERS frames, exact; HTTP/1.1: exchange − body). */
  headersPerExchange: number[];
  headersFirst: number;
  headersLast: number;
  /** Event age, publish (server) → receipt (runner), one host, one clock. */
  latencyMs: { p50: number; p99: number };
  /**
   * CPU per message in a separate pass without stats calls: the server (its own process, /proc)
   * and the client (the runner), each net of what a bare publish costs it (`publishCost`).
   */
  cpu: {
    messages: number;
    serverUsPerMessage: number;
    clientUsPerMessage: number;
    /** The same before the publish is taken off: a net figure near zero is within the 10 ms ticks' noise. */
    serverGrossUsPerMessage: number;
    clientGrossUsPerMessage: number;
  };
}

/** One h2load target of the h1-vs-h2 capacity phase. */
export interface ProtocolCapacity {
  target: string;
  protocol: 'h2c' | 'h2' | 'http/1.1';
  requests: number;
  succeeded: number;
  requestsPerSecond: number;
  clients: number;
  streamsPerClient: number;
  /** The serving process's CPU per request, µs (/proc for the lab; the runner's own for the bare server). */
  serverCpuUsPerRequest: number | null;
  /** requests/s ÷ the bare node:http2 server's, null for the bare server itself. */
  ratioToBare: number | null;
}

/** The h1-vs-h2 scenario's result (scenarios/h1-vs-h2/): short poll, long poll, SSE over three protocols. */
export interface ProtocolComparison {
  messagesPerRun: number;
  cpuMessagesPerRun: number;
  /** What one publish (POST /api/publish) costs with no client listening: subtracted from `cpu`. */
  publishCost: { serverUsPerMessage: number; clientUsPerMessage: number };
  runs: ProtocolRun[];
  /** The same figures by transport, then protocol (`http11`, `h2c`, `h2`): the paths LESSONS quotes. */
  byRun: Record<string, Record<string, Omit<ProtocolRun, 'wirePerExchange' | 'headersPerExchange'>>>;
  capacity: ProtocolCapacity[];
  h2load: string;
  notes: Record<string, string>;
}
