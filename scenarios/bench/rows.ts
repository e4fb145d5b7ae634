/**
 * The goal table of issue 10 as data: each row names the phase it reads, the baseline it divides
 * by, how to get its figure from one measurement, and its goal. `computeRows` turns a run's
 * measurements into the rows: per round the lab's figure over the baseline's from that same
 * round, then the median and spread of those ratios (never a ratio of medians across rounds).
 */
import { IDLE_BASELINES, idlePhase, residentInUse } from './memory.js';
import type { BenchServer, Measurement, RowResult } from './summary.js';

type Figure = (m: Measurement) => number;

const cpuUsPerDelivery: Figure = (m) => (m.deliveries > 0 ? (m.serverCpuMs * 1000) / m.deliveries : Number.NaN);
/** Polls answered 200 per second: a refused poll (429, 403) or a socket error is not an answer. */
const answeredPerSecond: Figure = (m) =>
  m.seconds > 0 ? Math.max(0, m.deliveries - m.errors) / m.seconds : Number.NaN;
/** One memory figure of a measurement, before the idle connections or with them (undefined: not read). */
type Reading = (m: Measurement, at: 'Before' | 'Idle') => number | undefined;

/**
 * Memory growth per idle connection, both readings after a full GC in a fresh process (memory.ts):
 * resident memory in use, or the JS heap (what the connections' objects hold). A growth of zero or
 * less is no signal (a trim, say), never a ratio of 0.
 */
const growthPerConnection =
  (reading: Reading): Figure =>
  (m) => {
    const from = reading(m, 'Before');
    const to = reading(m, 'Idle');
    if (from === undefined || to === undefined || m.clients === 0) return Number.NaN;
    const growth = to - from;
    return growth > 0 ? growth / m.clients : Number.NaN;
  };
/** RSS − V8's resident heap pages + V8's heap in use: RSS without the free pages V8 keeps (memory.ts). */
export const residentInUseOf: Reading = (m, at) => {
  const rss = m[`rss${at}Bytes`];
  const heap = m[`heap${at}Bytes`];
  const heapResident = m[`heapResident${at}Bytes`];
  return rss === undefined || heap === undefined || heapResident === undefined
    ? undefined
    : residentInUse({ rss, heap, heapResident });
};
export const heapOf: Reading = (m, at) => m[`heap${at}Bytes`];
/** Raw RSS growth, for the absolute table: what the OS saw, V8's free pages and all. */
export const rawRssPerConnection = growthPerConnection((m, at) => m[`rss${at}Bytes`]);
export const rssPerConnection = growthPerConnection(residentInUseOf);
export const heapPerConnection = growthPerConnection(heapOf);
const cpuUsPerAnswer: Figure = (m) =>
  m.answers !== undefined && m.answers > 0 ? (m.serverCpuMs * 1000) / m.answers : Number.NaN;
const p99: Figure = (m) => m.ageMs?.p99 ?? Number.NaN;

export interface RowDef {
  id: string;
  what: string;
  figure: string;
  unit: string;
  phase: string;
  baseline: BenchServer;
  goal: { op: '<=' | '>='; value: number };
  decides: boolean;
  value: Figure;
  note?: string;
}

export const ROW_DEFS: readonly RowDef[] = [
  {
    id: 'websocket-cpu',
    what: 'WebSocket server CPU per delivered message vs bare ws',
    figure: 'server CPU per delivered message',
    unit: 'µs',
    phase: 'websocket load',
    baseline: 'bare ws',
    goal: { op: '<=', value: 1.0 },
    decides: true,
    value: cpuUsPerDelivery,
    note: 'stretch goal 0.85×',
  },
  {
    id: 'sse-cpu',
    what: 'SSE server CPU per delivered message vs bare node:http SSE',
    figure: 'server CPU per delivered message',
    unit: 'µs',
    phase: 'sse load',
    baseline: 'bare SSE',
    goal: { op: '<=', value: 1.05 },
    decides: true,
    value: cpuUsPerDelivery,
  },
  {
    id: 'polls-fastify-wrk',
    what: 'short polls answered per second vs bare Fastify (wrk)',
    figure: 'polls/s',
    unit: '/s',
    phase: 'polls wrk',
    baseline: 'bare Fastify',
    goal: { op: '>=', value: 0.9 },
    decides: true,
    value: answeredPerSecond,
  },
  {
    id: 'polls-fastify-autocannon',
    what: 'the same, autocannon (Node, on the same cores)',
    figure: 'polls/s',
    unit: '/s',
    phase: 'polls autocannon',
    baseline: 'bare Fastify',
    goal: { op: '>=', value: 0.9 },
    decides: false,
    value: answeredPerSecond,
  },
  {
    id: 'polls-node-wrk',
    what: 'short polls answered per second vs bare node:http (wrk)',
    figure: 'polls/s',
    unit: '/s',
    phase: 'polls wrk',
    baseline: 'bare node:http',
    goal: { op: '>=', value: 0.85 },
    decides: true,
    value: answeredPerSecond,
  },
  {
    id: 'polls-node-autocannon',
    what: 'the same, autocannon (Node, on the same cores)',
    figure: 'polls/s',
    unit: '/s',
    phase: 'polls autocannon',
    baseline: 'bare node:http',
    goal: { op: '>=', value: 0.85 },
    decides: false,
    value: answeredPerSecond,
  },
  ...(['bare Fastify', 'bare node:http'] as const).map(
    (baseline): RowDef => ({
      id: `polls-cpu-${baseline === 'bare Fastify' ? 'fastify' : 'node'}`,
      what: `server CPU per short poll vs ${baseline} (wrk)`,
      figure: 'server CPU per poll',
      unit: 'µs',
      phase: 'polls wrk',
      baseline,
      goal: { op: '<=', value: baseline === 'bare Fastify' ? 1 / 0.9 : 1 / 0.85 },
      decides: false,
      value: cpuUsPerDelivery,
      note: 'the polls/s goal as CPU; steadier than polls/s on a busy machine',
    }),
  ),
  {
    id: 'long-poll-cpu',
    what: 'long-poll server CPU per delivered message vs bare node:http long poll',
    figure: 'server CPU per delivered message',
    unit: 'µs',
    phase: 'long-poll load',
    baseline: 'bare long poll',
    goal: { op: '<=', value: 1.1 },
    decides: true,
    value: cpuUsPerDelivery,
    note: 'falls when a lab that lags answers several messages at once: read it beside the next row',
  },
  {
    id: 'long-poll-cpu-answer',
    what: 'long-poll server CPU per answered poll vs bare node:http long poll',
    figure: 'server CPU per answered poll',
    unit: 'µs',
    phase: 'long-poll load',
    baseline: 'bare long poll',
    goal: { op: '<=', value: 1.1 },
    decides: false,
    value: cpuUsPerAnswer,
    note: 'each answer is a request: the cost of a poll, however many messages it carried',
  },
  {
    id: 'long-poll-cpu-fastify',
    what: 'long-poll server CPU per delivered message vs bare Fastify long poll',
    figure: 'server CPU per delivered message',
    unit: 'µs',
    phase: 'long-poll load',
    baseline: 'bare Fastify long poll',
    goal: { op: '<=', value: 1.1 },
    decides: false,
    value: cpuUsPerDelivery,
    note: 'how close the lab gets to Fastify alone; Fastify alone is not within 1.1× of node:http',
  },
  ...IDLE_BASELINES.map(
    ([transport, baseline]): RowDef => ({
      id: `${transport}-rss`,
      what: `RSS per idle connection, ${transport} vs ${baseline}`,
      figure: 'RSS in use per idle connection',
      unit: 'B',
      phase: idlePhase(transport),
      baseline,
      goal: { op: '<=', value: 1.2 },
      decides: true,
      value: rssPerConnection,
      note: 'a fresh process per phase, after a full GC, RSS without V8’s free heap pages; a round that did not grow gives no ratio',
    }),
  ),
  ...IDLE_BASELINES.map(
    ([transport, baseline]): RowDef => ({
      id: `${transport}-heap`,
      what: `JS heap per idle connection, ${transport} vs ${baseline}`,
      figure: 'JS heap per idle connection',
      unit: 'B',
      phase: idlePhase(transport),
      baseline,
      goal: { op: '<=', value: 1.2 },
      decides: false,
      value: heapPerConnection,
      note: 'the objects behind the RSS row, exact to the byte; RSS adds native memory and moves by pages',
    }),
  ),
  ...(
    [
      ['websocket', 'bare ws'],
      ['sse', 'bare SSE'],
    ] as const
  ).map(
    ([transport, baseline]): RowDef => ({
      id: `${transport}-p99`,
      what: `p99 event age of a crowd, ${transport} vs ${baseline}`,
      figure: 'p99 event age',
      unit: 'ms',
      phase: `${transport} crowd`,
      baseline,
      goal: { op: '<=', value: 1.2 },
      decides: true,
      value: p99,
      note: 'the issue’s row is at 2 000 clients: --crowd 2000',
    }),
  ),
];

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A load generator that used this much of its one core or more was likely the limit. */
export const GENERATOR_BOUND_SHARE = 0.85;

export function computeRows(measurements: readonly Measurement[], defs: readonly RowDef[] = ROW_DEFS): RowResult[] {
  return defs.map((def) => {
    const of = (server: BenchServer) =>
      measurements.filter((m) => m.phase === def.phase && m.server === server).sort((a, b) => a.round - b.round);
    const lab = of('lab');
    const base = of(def.baseline);
    const ratios: number[] = [];
    for (const l of lab) {
      const b = base.find((m) => m.round === l.round);
      if (b) ratios.push(def.value(l) / def.value(b));
    }
    const finite = ratios.filter((r) => Number.isFinite(r));
    const ratio = {
      median: median(finite),
      min: finite.length > 0 ? Math.min(...finite) : Number.NaN,
      max: finite.length > 0 ? Math.max(...finite) : Number.NaN,
    };
    const pass = def.goal.op === '<=' ? ratio.median <= def.goal.value : ratio.median >= def.goal.value;
    const share = median(lab.map((m) => m.clientCpuMs / (m.seconds * 1000)));
    const generatorVsServer = median(lab.map((m) => m.clientCpuMs / m.serverCpuMs));
    const memoryRow = def.unit === 'B';
    return {
      id: def.id,
      what: def.what,
      figure: `${def.figure}, ${def.unit}`,
      baseline: def.baseline,
      goal: def.goal,
      decides: def.decides,
      ratios,
      ratio,
      lab: median(lab.map(def.value)),
      base: median(base.map(def.value)),
      pass: Number.isFinite(ratio.median) && pass,
      generator: memoryRow
        ? { cpuPerDeliveryVsServer: Number.NaN, cpuShare: Number.NaN, bound: false }
        : { cpuPerDeliveryVsServer: generatorVsServer, cpuShare: share, bound: share >= GENERATOR_BOUND_SHARE },
      ...(def.note ? { note: def.note } : {}),
    };
  });
}
