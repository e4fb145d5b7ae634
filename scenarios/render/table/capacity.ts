/** HTTP capacity (autocannon): the lab's routes, then the baseline(s) they were compared with. */
import type { Summary } from '../../summary.js';
import { formatCount, formatRounds, formatShare, formatValue, isNum, type Maybe } from './format.js';
import { type Cell, type Column, left, right, shouldBeZero, type TableModel } from './model.js';

/** autocannon's latencies are whole milliseconds: 0 means under one. */
function wholeMs(v: Maybe): string {
  return isNum(v) && v === 0 ? '<1' : formatValue(v);
}

/** The capacity rows, then the baseline(s) they were compared with, once each. */
export function capacityTable(summary: Summary): TableModel | null {
  const capacity = summary.capacity;
  const first = capacity?.[0];
  if (!capacity || first === undefined) return null;
  const withCpu = capacity.some((c) => c.serverCpuUsPerRequest != null);
  const withShare = capacity.some((c) => c.serverCpuShare != null);
  const withErrors = capacity.some((c) => c.errors != null);
  const columns: Column[] = [left('server'), right('requests/s'), right('ratio'), right('p50 ms'), right('p99 ms')];
  if (withErrors) columns.push(right('errors'));
  if (withCpu) columns.push(right('CPU µs/req'));
  if (withShare) columns.push(right('CPU share'));
  const rows: Cell[][] = capacity.map((c) => {
    const row: Cell[] = [
      { text: c.route },
      { text: formatCount(c.requestsPerSec) },
      { text: c.baseline ? `${formatValue(c.baseline.ratio)}×` : '–' },
      { text: wholeMs(c.latencyMs?.p50) },
      { text: wholeMs(c.latencyMs?.p99) },
    ];
    if (withErrors) row.push(shouldBeZero(c.errors, 'bad'));
    if (withCpu) row.push({ text: formatValue(c.serverCpuUsPerRequest) });
    if (withShare) row.push({ text: formatShare(c.serverCpuShare) });
    return row;
  });
  const baselines = new Map<string, NonNullable<typeof capacity>[number]>();
  for (const c of capacity) if (c.baseline && !baselines.has(c.baseline.name)) baselines.set(c.baseline.name, c);
  for (const [name, c] of baselines) {
    const row: Cell[] = [
      { text: `${name} (baseline)`, tone: 'dim' },
      { text: formatCount(c.baseline?.requestsPerSec), tone: 'dim' },
      { text: '1×', tone: 'dim' },
      { text: '–', tone: 'dim' },
      { text: '–', tone: 'dim' },
    ];
    if (withErrors) row.push({ text: '–', tone: 'dim' });
    if (withCpu) row.push({ text: formatValue(c.baselineCpuUsPerRequest), tone: 'dim' });
    if (withShare) row.push({ text: '–', tone: 'dim' });
    rows.push(row);
  }
  const how = [
    `${formatCount(first.connections)} connections`,
    first.pipelining != null ? `pipelining ${formatCount(first.pipelining)}` : '',
    formatRounds(first.rounds, first.durationS),
  ]
    .filter(Boolean)
    .join(', ');
  const notes = [
    `autocannon, ${how}.`,
    baselines.size > 0 ? `ratio: requests/s ÷ the baseline's (${[...baselines.keys()].join(', ')}).` : '',
    'p50/p99 are whole milliseconds (<1: under one).',
    withCpu
      ? 'CPU µs/req: the serving process’s CPU (/proc) per answered request — the figure that does not depend on who was the bottleneck.'
      : '',
    withShare ? 'CPU share: of one core.' : '',
  ];
  return { title: 'HTTP capacity (autocannon)', note: notes.filter(Boolean).join(' '), columns, rows };
}
