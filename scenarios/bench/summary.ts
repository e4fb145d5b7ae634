/**
 * The shape of `results/bench/<timestamp>/summary.json`: every measurement of every round, and the
 * goal table drawn from them (rows.ts). The tables, charts and report are drawn from it alone.
 */

/** The servers a benchmark runs: the lab and each bare baseline, each its own process. */
export type BenchServer =
  | 'lab'
  | 'bare ws'
  | 'bare SSE'
  | 'bare long poll'
  | 'bare Fastify long poll'
  | 'bare node:http'
  | 'bare Fastify';

/** One measurement of one server in one round. Absent figures are those the phase does not take. */
export interface Measurement {
  round: number;
  server: BenchServer;
  /** What was measured: `websocket load`, `sse crowd`, `polls wrk`, … */
  phase: string;
  clients: number;
  /** Seconds the counters ran. */
  seconds: number;
  /** Serving process CPU (utime + stime, /proc) over the window, ms. */
  serverCpuMs: number;
  /** The load generator's CPU over the same window, ms (the load-client process, wrk, or this process for autocannon). */
  clientCpuMs: number;
  /** Messages delivered (streams, long polls) or polls answered (polls). */
  deliveries: number;
  /** Resident memory before the clients connected and once they were all connected and idle. */
  rssBeforeBytes?: number;
  rssIdleBytes?: number;
  /** V8's heap in use after a full GC, at the same two moments (exact to the object; RSS moves by pages). */
  heapBeforeBytes?: number;
  heapIdleBytes?: number;
  /** The resident pages of V8's heap, used or free, at the same two moments (memory.ts: the RSS row takes the free ones out). */
  heapResidentBeforeBytes?: number;
  heapResidentIdleBytes?: number;
  /** Event age, ms (receive − ts, one host). */
  ageMs?: { p50: number; p99: number; max: number };
  /** Long-poll answers, for messages per answer. */
  answers?: number;
  errors: number;
}

export interface RowResult {
  id: string;
  what: string;
  /** The figure compared, for lab and baseline (e.g. "server CPU µs per delivered message"). */
  figure: string;
  baseline: BenchServer;
  goal: { op: '<=' | '>='; value: number };
  /** Whether this row decides ✓/✗ (false: reported beside another row, e.g. autocannon next to wrk). */
  decides: boolean;
  /** Lab/baseline ratio of each round, in round order. */
  ratios: number[];
  ratio: { median: number; min: number; max: number };
  lab: number;
  base: number;
  pass: boolean;
  /** Load generator CPU per delivery over the server's (lab's run), and whether it was the bottleneck. */
  generator: { cpuPerDeliveryVsServer: number; cpuShare: number; bound: boolean };
  note?: string;
}

export interface BenchSummary {
  scenario: 'bench';
  kind: 'bench';
  description: string;
  command: string;
  startedAt: string;
  durationMs: number;
  params: Record<string, unknown>;
  machine: {
    cpus: number;
    cpuModel: string;
    totalMemBytes: number;
    node: string;
    platform: string;
    loadavg: { start: number[]; end: number[] };
  };
  clock: string;
  rounds: { round: number; loadavg: number[]; startMs: number; endMs: number }[];
  measurements: Measurement[];
  rows: RowResult[];
}

export function isBenchSummary(value: unknown): value is BenchSummary {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'bench';
}
