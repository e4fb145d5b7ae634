/** A sweep's tables: one row per (sweep point, transport). */
import type { Summary, SweepPoint, TransportSummary } from '../../summary.js';
import { type SweepSeries, sweepSeries } from '../sweep-series.js';
import { formatBytes, formatCount, formatValue, isNum } from './format.js';
import { type Cell, type Column, left, right, type TableModel } from './model.js';

type Sweep = NonNullable<Summary['sweep']>;

/** The swept value's column: `clients per transport`, `short-poll interval (ms)`. */
function sweepValueColumn(sweep: Sweep): Column {
  const named = sweep.parameter.split(/\W+/).includes(sweep.unit);
  return right(named ? sweep.parameter : `${sweep.parameter} (${sweep.unit})`);
}

/**
 * One row per (sweep point, transport or further group — sweep-series.ts): the swept value
 * (written on the first row of its point only) and the series' label, then `cells`.
 */
function sweepRows(sweep: Sweep, cells: (point: SweepPoint, series: SweepSeries, s: TransportSummary) => Cell[]) {
  const rows: Cell[][] = [];
  const series = sweepSeries(sweep.points);
  for (const point of sweep.points) {
    let first = true;
    for (const one of series) {
      const s = one.at(point);
      if (!s) continue;
      rows.push([{ text: first ? formatValue(point.value, 4) : '' }, { text: one.label }, ...cells(point, one, s)]);
      first = false;
    }
  }
  return rows;
}

/** Latency (and its prediction), bytes and requests at every point. */
export function sweepTable(summary: Summary): TableModel | null {
  const sweep = summary.sweep;
  if (!sweep || sweep.points.length === 0) return null;
  const withPrediction = sweep.points.some((p) => Object.values(p.predicted ?? {}).some((v) => v?.p50 != null));
  const withLoop = sweep.points.some((p) => Object.values(p.transports).some((s) => s?.clientLoopDelayMs != null));
  // A further group (deflate) has no prediction of its own: the floor is the transport's framing.
  const predictedP50 = (point: SweepPoint, one: SweepSeries) =>
    one.primary ? point.predicted?.[one.transport]?.p50 : undefined;
  const columns = [sweepValueColumn(sweep), left('transport'), right('p50 ms')];
  if (withPrediction) columns.push(right('p50 predicted'));
  columns.push(right('p99 ms'));
  if (withLoop) columns.push(right('loop p99 ms'));
  columns.push(right('bytes/msg'), right('req/msg'));
  const rows = sweepRows(sweep, (point, one, s) => {
    const row: Cell[] = [{ text: formatValue(s.latencyMs?.p50) }];
    if (withPrediction) row.push({ text: formatValue(predictedP50(point, one)), tone: 'dim' });
    row.push({ text: formatValue(s.latencyMs?.p99) });
    if (withLoop) row.push({ text: formatValue(s.clientLoopDelayMs?.p99), tone: 'dim' });
    row.push({ text: formatValue(s.bytesPerMessage) }, { text: formatValue(s.requestsPerMessage) });
    return row;
  });
  return {
    title: `Sweep over ${sweep.parameter} (${sweep.unit})`,
    ...(withLoop
      ? {
          note: "loop p99: event-loop delay of the runner's thread for that group's clients, part of every event age.",
        }
      : {}),
    columns,
    rows,
  };
}

/** Where each transport ran alone (fan-out): the server's CPU per message at each point. */
export function sweepCostTable(summary: Summary): TableModel | null {
  const sweep = summary.sweep;
  const withCost = (p: SweepPoint) => Object.values(p.transports).some((s) => s?.serverCost != null);
  if (!sweep?.points.some(withCost)) return null;
  const columns = [
    sweepValueColumn(sweep),
    left('transport'),
    right('server CPU ms'),
    right('CPU µs/msg'),
    right('msgs counted'),
    right('RSS max'),
  ];
  let coarse = false;
  const rows = sweepRows(sweep, (_point, _t, s) => {
    const cost = s.serverCost;
    // /proc counts CPU in 10 ms ticks: under 100 ms, one tick is over 10 %.
    const rough = cost != null && isNum(cost.cpuMs) && cost.cpuMs < 100;
    coarse ||= rough;
    const approx = (text: string): Cell => (rough ? { text: `≈${text}`, tone: 'dim' } : { text, tone: undefined });
    return [
      approx(formatCount(cost?.cpuMs)),
      approx(formatValue(cost?.cpuUsPerDelivered)),
      { text: formatCount(s.countedMessages) },
      { text: formatBytes(cost?.rssMaxBytes) },
    ];
  });
  const notes = [
    'Each transport ran alone against the server, so the CPU is its own. CPU µs/msg = server CPU ÷ msgs counted (the messages the clients received while the counters ran).',
  ];
  if (coarse) notes.push('≈: under 100 ms of CPU, where /proc’s 10 ms ticks make it ±10 % or worse.');
  return { title: `Server cost over the sweep (${sweep.parameter})`, note: notes.join(' '), columns, rows };
}
