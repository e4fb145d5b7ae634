/**
 * The benchmark's tables, as table models (scenarios/render/table/model.ts), so the terminal and
 * report.html show the same numbers: the goal table (one row per row of issue 10's table), the
 * machine and its load per round, and the absolute figures per phase.
 */
import { formatBytes, formatValue, isNum } from '../render/table/format.js';
import { type Cell, left, right, type TableModel } from '../render/table/model.js';
import { LAB_WORK_PER_POLL } from './poll-parity.js';
import { heapPerConnection, median, rawRssPerConnection, rssPerConnection } from './rows.js';
import type { BenchServer, BenchSummary, Measurement, RowResult } from './summary.js';

const ratio = (v: number) => (isNum(v) ? `${v.toFixed(2)}×` : '—');

function absolute(row: RowResult, v: number): string {
  if (!isNum(v)) return '—';
  if (row.figure.startsWith('RSS') || row.figure.startsWith('JS heap')) return formatBytes(v);
  if (row.figure.startsWith('polls')) return `${formatValue(v, 4)}/s`;
  if (row.figure.startsWith('p99')) return `${formatValue(v)} ms`;
  return `${formatValue(v)} µs`;
}

function generatorCell(row: RowResult): Cell {
  const g = row.generator;
  if (!isNum(g.cpuShare)) return { text: '—', tone: 'dim' };
  const text = `${ratio(g.cpuPerDeliveryVsServer)} server, ${Math.round(g.cpuShare * 100)} % core`;
  return g.bound ? { text: `${text}: BOTTLENECK`, tone: 'warn' } : { text };
}

export function goalTable(summary: BenchSummary): TableModel {
  return {
    title: 'Lab vs bare Node: goals of issue 10',
    note:
      'ratio = lab ÷ baseline of the same round; median of the rounds, [min–max] beside it. lab and baseline: medians of their own figures. ' +
      'generator: the load generator’s CPU per delivery (or per poll) over the lab’s, and its share of one core; BOTTLENECK when it used ≥ 85 % of its core. ' +
      'Rows in grey are reported beside the row above them and decide nothing (autocannon runs on the same cores as the server).',
    columns: [
      left('what'),
      right('lab'),
      right('baseline'),
      right('ratio'),
      right('spread'),
      right('goal'),
      left(''),
      left('generator (lab run)'),
    ],
    rows: summary.rows.map((row) => {
      const tone = row.decides ? undefined : 'dim';
      return [
        { text: row.what, tone },
        { text: absolute(row, row.lab), tone },
        { text: `${absolute(row, row.base)} ${row.baseline}`, tone },
        { text: ratio(row.ratio.median), tone: row.decides ? (row.pass ? 'good' : 'bad') : 'dim' },
        { text: `[${ratio(row.ratio.min)}–${ratio(row.ratio.max)}]`, tone: 'dim' },
        {
          text: `${row.goal.op === '<=' ? '≤' : '≥'} ${row.goal.value.toFixed(2)}×${row.note ? ` (${row.note})` : ''}`,
          tone,
        },
        row.decides ? { text: row.pass ? '✓' : '✗', tone: row.pass ? 'good' : 'bad' } : { text: '', tone: 'dim' },
        generatorCell(row),
      ];
    }),
  };
}

export function machineTable(summary: BenchSummary): TableModel {
  const m = summary.machine;
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  return {
    title: 'Machine',
    note: `${m.cpus} × ${m.cpuModel}, ${formatBytes(m.totalMemBytes)}, Node ${m.node}, ${m.platform}. Load average (1, 5, 15 min) at the start: ${load(m.loadavg.start)}; after each round below. A load above ${m.cpus} means other programs were competing for the cores.`,
    columns: [right('round'), right('ended at s'), left('load average 1 / 5 / 15 min')],
    rows: summary.rounds.map((r) => [
      { text: String(r.round) },
      { text: formatValue(r.endMs / 1000) },
      { text: load(r.loadavg), tone: (r.loadavg[0] ?? 0) > m.cpus ? 'warn' : undefined },
    ]),
  };
}

/** Medians per phase and server of the raw figures, so every ratio can be checked by hand. */
export function absoluteTable(summary: BenchSummary): TableModel {
  const keys = new Map<string, Measurement[]>();
  for (const m of summary.measurements) {
    const key = `${m.phase}\u0000${m.server}`;
    keys.set(key, [...(keys.get(key) ?? []), m]);
  }
  const med = (ms: Measurement[], f: (m: Measurement) => number) => median(ms.map(f));
  return {
    title: 'Absolute figures (medians over the rounds)',
    note: 'CPU from /proc (utime + stime, 10 ms ticks); RSS/conn = (RSS idle − RSS before the idle clients) ÷ clients, raw; in use/conn the same for RSS − V8’s resident heap pages + V8’s heap in use (the RSS rows: scenarios/bench/memory.ts), heap/conn for V8’s heap in use; gen CPU = the load generator’s.',
    columns: [
      left('phase'),
      left('server'),
      right('clients'),
      right('deliveries/s'),
      right('server CPU µs/del'),
      right('gen CPU µs/del'),
      right('server core %'),
      right('RSS/conn'),
      right('in use/conn'),
      right('heap/conn'),
      right('p50 ms'),
      right('p99 ms'),
      right('errors'),
    ],
    rows: [...keys.entries()].map(([key, ms]) => {
      const [phase, server] = key.split('\u0000') as [string, BenchServer];
      const measured = ms.some((m) => m.seconds > 0);
      const per = (f: (m: Measurement) => number) => (measured ? formatValue(med(ms, f)) : '—');
      const errors = ms.reduce((sum, m) => sum + m.errors, 0);
      return [
        { text: phase },
        { text: server },
        { text: String(ms[0]?.clients ?? '') },
        { text: per((m) => m.deliveries / m.seconds) },
        { text: per((m) => (m.serverCpuMs * 1000) / m.deliveries) },
        { text: per((m) => (m.clientCpuMs * 1000) / m.deliveries) },
        { text: per((m) => (100 * m.serverCpuMs) / (m.seconds * 1000)) },
        { text: ms[0]?.rssIdleBytes === undefined ? '—' : formatBytes(med(ms, rawRssPerConnection)) },
        { text: ms[0]?.heapResidentIdleBytes === undefined ? '—' : formatBytes(med(ms, rssPerConnection)) },
        { text: ms[0]?.heapIdleBytes === undefined ? '—' : formatBytes(med(ms, heapPerConnection)) },
        { text: ms[0]?.ageMs ? formatValue(med(ms, (m) => m.ageMs?.p50 ?? Number.NaN)) : '—' },
        { text: ms[0]?.ageMs ? formatValue(med(ms, (m) => m.ageMs?.p99 ?? Number.NaN)) : '—' },
        { text: String(errors), tone: errors > 0 ? 'bad' : undefined },
      ];
    }),
  };
}

/** What the polls ratio measures: the lab's own work per poll, which no baseline does. */
export function pollWorkTable(): TableModel {
  return {
    title: 'Per poll, the lab does what the baselines do not',
    note: 'The baselines answer the lab’s own body with the lab’s own headers (checked before measuring: as many bytes on the wire), over keep-alive connections like the lab’s. The polls ratios measure this work:',
    columns: [left('the lab’s own work per poll')],
    rows: LAB_WORK_PER_POLL.map((line) => [{ text: line }]),
  };
}

export function benchTables(summary: BenchSummary): TableModel[] {
  return [goalTable(summary), pollWorkTable(), absoluteTable(summary), machineTable(summary)];
}

/** One line: how many goal rows are met. */
export function verdictLine(summary: BenchSummary): string {
  const deciding = summary.rows.filter((r) => r.decides);
  const met = deciding.filter((r) => r.pass);
  const missed = deciding.filter((r) => !r.pass).map((r) => r.id);
  return `${met.length}/${deciding.length} goals met${missed.length > 0 ? `; not met: ${missed.join(', ')}` : ''}`;
}
