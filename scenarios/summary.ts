/**
 * The shape of `results/<scenario>/<timestamp>/summary.json` (scenarios/README.md says how it is measured): the source of truth.
 * Every table, chart and report is drawn from it and nothing else.
 */
import type { LatencySummaryMs } from '../client/latency.js';
import type { ClassExperiment } from '../contract/classroom.js';
import type { TransportName } from '../contract/index.js';
import type { ResolvedNetwork } from '../contract/networks.js';

/** The network a group's clients were on, and what its shaper did and cost (tools/shaper.ts). */
export interface NetworkReport extends ResolvedNetwork {
  shaper: {
    segments: number;
    /** Segments held for a retransmission timeout (the profile's loss). */
    stalls: number;
    /** Connections the profile's idle timeout cut silently. */
    idleCuts: number;
    /** How late the shaper's deliveries were against its own schedule, ms (bucket upper bounds). */
    latenessMs: { p50: number; p99: number; max: number };
    /** Share of the window the group's thread (its clients and this shaper) was busy. */
    threadBusyShare: number;
    /** The shaper, not the profile, set part of the delay: its lateness p99 above max(5 ms, 10 % of the one-way delay). */
    bottleneck: boolean;
  };
}

/** The client's latency summary (ms), plus the histogram it came from. */
export interface LatencySummary extends LatencySummaryMs {
  /** The HDR histogram (hdr-histogram-js), compressed base64, in microseconds. */
  histogram: string;
}

export interface TransportSummary {
  clients: number;
  /** Distinct feed messages delivered, summed over clients. */
  delivered: number;
  /** What the clients should have received (sum over clients of the seqs published while they listened). */
  expected: number;
  lost: number;
  duplicates: number;
  reordered: number;
  resets: number;
  /** Event age: client receive time − message `ts`, same clock domain, milliseconds. */
  latencyMs: LatencySummary;
  requests: number;
  emptyResponses: number;
  /** Wire bytes, as counted at the clients' TCP sockets (in = to the server). */
  bytesIn: number;
  bytesOut: number;
  /** The same, as the server's own accounting saw it (for cross-checking). */
  server: { bytesIn: number; bytesOut: number; requests: number; emptyResponses: number; messages: number };
  /** Payload (message JSON) bytes of the `countedMessages` when present, else of the delivered ones. */
  payloadBytes: number;
  /**
   * (bytesIn + bytesOut) / countedMessages when present (scenarios/measure.ts), else / delivered;
   * 0 when nothing was counted. The bytes and the messages are counted over the same span, but
   * a burst on either side of its edges moves the divisor, so with few large bursts (fan-out)
   * this can even come out below payloadPerMessage.
   */
  bytesPerMessage: number;
  /** payloadBytes / countedMessages when present, else / delivered; 0 when nothing was counted. */
  payloadPerMessage: number;
  /** The protocol floor of framing overhead for one message of that size (contract/floor.ts). */
  floorOverheadPerMessage: number;
  /** requests / countedMessages when present, else / delivered; 0 when nothing was counted. */
  requestsPerMessage: number;
  /** Deliveries per second over the run, one bucket a second, for the timeline chart. */
  timeline: number[];
  /** Mean time from a forced drop until the next message arrives, ms (reconnect scenarios). */
  recoveryMs?: number;
  /**
   * Added by the scenario runner (optional). Losses the clients could tell by themselves: seq
   * holes plus the `missed` of reset notices. `lost` is the runner's ground truth (it knows every
   * seq published); `lost − lostDetected` is loss no client could see (e.g. a restart's tail).
   */
  lostDetected?: number;
  /**
   * How long the counters (requests, bytes, empty responses) ran, ms: from the window's opening
   * to the pause that ends it. Divide by this for rates (requests/s).
   */
  countedMs?: number;
  /**
   * Distinct messages the clients received while the counters ran. With it present,
   * `payloadBytes` is those messages' bytes, and bytesPerMessage, payloadPerMessage and
   * requestsPerMessage divide by it (not by `delivered`): cost and the messages it carried are
   * then measured over the same time, a steady state. (`delivered` is the seqs published in the
   * window, each audited to the end; a short poll's first answer carries older messages and its
   * drain polls none, so dividing by it would skew the ratios by up to T/window.)
   */
  countedMessages?: number;
  /**
   * Event-loop delay of the thread that ran this group's simulated clients (one worker thread
   * per group), over the window, ms. Many clients share that thread, so each event age includes
   * up to this much queueing that a real client on its own machine would not see.
   */
  clientLoopDelayMs?: { p50: number; p99: number; max: number };
  /** The network this group's clients were on (absent in results from before networks existed). */
  network?: NetworkReport;
  /** Client-side errors by FeedClientError code (NETWORK, CLOSED, TIMEOUT…), when there were any. */
  clientErrors?: Record<string, number>;
  /** Event ages below zero (recorded as 0): the clocks disagree. Present only when non-zero. */
  negativeAges?: number;
  /**
   * The server's cost while this transport ran ALONE against it (fan-out runs one transport at a
   * time per point), so its CPU is this transport's. `cpuUsPerDelivered` = cpuMs × 1000 /
   * countedMessages (scenarios/run.ts), µs per message received while the counters ran; 0 when
   * none was. /proc counts CPU in 10 ms ticks, so a short, light run is coarse.
   */
  serverCost?: { cpuMs: number; rssMaxBytes: number; cpuUsPerDelivered: number };
}

/** One client group, when a transport has several (e.g. resume on and resume off). */
export interface GroupSummary extends TransportSummary {
  name: string;
  transport: TransportName;
  /** Whether the group's clients reconnect with their cursor. */
  resume: boolean;
}

/** One point of a sweep: a parameter value and the per-transport result at it. */
export interface SweepPoint {
  /** The swept parameter's value (poll interval ms, payload bytes, clients per transport…). */
  value: number;
  transports: Partial<Record<TransportName, TransportSummary>>;
  /** A prediction for this point, where the scenario has a model (e.g. T/2 latency). */
  predicted?: Partial<Record<TransportName, Record<string, number>>>;
  server: { cpuMs: number; rssMaxBytes: number };
}

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

export interface Summary {
  scenario: string;
  description: string;
  params: Record<string, unknown>;
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; cpuModel: string; totalMemBytes: number; node: string; platform: string };
  /** The clock domain latencies are measured in. */
  clock: string;
  transports: Partial<Record<TransportName, TransportSummary>>;
  /** Present for sweep scenarios: one entry per swept value; `transports` then holds the last point. */
  sweep?: { parameter: string; unit: string; points: SweepPoint[] };
  /** HTTP capacity phase (autocannon), when the scenario has one. */
  capacity?: {
    route: string;
    connections: number;
    durationS: number;
    requestsPerSec: number;
    /** autocannon's, in whole milliseconds (its histogram holds integers): 0 means under 1 ms. */
    latencyMs: { p50: number; p99: number };
    baseline?: { name: string; requestsPerSec: number; ratio: number };
    /** Added by the runner (optional): requests in flight per connection, runs averaged, failed requests. */
    pipelining?: number;
    rounds?: number;
    errors?: number;
    /**
     * The serving process's CPU per answered request, µs (/proc utime+stime over the runs), and
     * the baseline's. Independent of whether autocannon or the server was the bottleneck.
     */
    serverCpuUsPerRequest?: number;
    baselineCpuUsPerRequest?: number;
    /** The serving process's CPU over the runs, as a share of one core (1 = one core busy). */
    serverCpuShare?: number;
  }[];
  /**
   * The lab server over the measurement windows: CPU, peak RSS, and CPU µs per message received
   * while the counters ran (cpuMs × 1000 / the sum of every group's `countedMessages`).
   */
  server: { cpuMs: number; rssMaxBytes: number; cpuUsPerDelivered: number };
  phases: { name: string; startMs: number; endMs: number; cpuMs: number; rssMaxBytes: number }[];
  expectations: { text: string; pass: boolean; detail?: string }[];
  /**
   * Added by the scenario runner (optional): every client group, when some transport has more
   * than one (`transports.<name>` then holds that transport's first group).
   */
  groups?: GroupSummary[];
  /**
   * The runner process: its CPU over the measurements (every thread: the clients and proxies run
   * in worker threads, one per group), and its main thread's event-loop delay in the worst
   * window (control, faults, server API; each group's own is its `clientLoopDelayMs`).
   */
  runner?: { cpuMs: number; eventLoopDelayMs: { p50: number; p99: number; max: number } };
  /**
   * Present when the runner published the feed itself (arrivals `even` or `poisson`, through
   * `POST /api/publish`): how many publishes the server accepted, and how many failed. A failed
   * publish is a message no client could receive; it is shown, never dropped.
   */
  publisher?: { published: number; failed: number };
  /**
   * Present in a classroom export (server/classroom/export.ts): every student's own numbers, and the
   * class-wide experiments with their before/after.
   */
  class?: ClassSummary;
  /** Present for the h1-vs-h2 scenario: the same transports over HTTP/1.1, h2c and h2+TLS. */
  protocols?: ProtocolComparison;
}

export interface ClassSummary {
  students: {
    name: string;
    rttMs: number | null;
    slow: boolean;
    lanes: Partial<
      Record<
        TransportName,
        { p50: number | null; p99: number | null; received: number; lost: number; duplicated: number }
      >
    >;
  }[];
  experiments: ClassExperiment[];
}
