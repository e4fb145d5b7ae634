/**
 * Deliveries per second over the run: one stepped curve per transport (or per client group),
 * with the faults and the end of the measurement window marked.
 */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { numericAxisLook, type ScaleOptions, valueAxis } from '../../../charts/axes.js';
import {
  baseOptions,
  type ChartSpec,
  darken,
  finite,
  INK,
  TRANSPORT_COLORS,
  type Value,
} from '../../../charts/style.js';
import type { TransportName } from '../../../contract/index.js';
import type { Summary, TransportSummary } from '../../summary.js';
import { formatValue } from '../table/format.js';
import { groupsInOrder, presentTransports } from '../table/order.js';
import { transportsSubtitle } from './per-transport.js';

/** A timeline's curves lie on one another when deliveries agree: the widest is drawn first, underneath. */
const TIMELINE_WIDTH: Record<TransportName, number> = {
  'short-poll': 1.75,
  'long-poll': 3,
  sse: 4.25,
  websocket: 5.5,
  'socket.io': 6.75,
};
const WINDOW_COLOR = '#6b7280';

/**
 * A linear axis from 0 that ends on a tick: a 1–2–2.5–5 step giving about eight intervals, and
 * the first multiple of it at or above `max`. Vertical markers then reach the frame exactly.
 */
function niceScale(max: number): { top: number; step: number } {
  const raw = (max > 0 ? max : 1) / 8;
  const base = 10 ** Math.floor(Math.log10(raw));
  const step = Number((([1, 2, 2.5, 5, 10].find((s) => s * base >= raw - 1e-9) ?? 10) * base).toPrecision(12));
  return { top: Number((Math.ceil(max / step - 1e-9) * step).toPrecision(12)) || step, step };
}

/** The faults of a run as `params.faults` records them (atMs from the window's opening). */
function faultsOf(summary: Summary): { atS: number; label: string }[] {
  const faults = (summary.params as { faults?: unknown }).faults;
  if (!Array.isArray(faults) || summary.sweep) return []; // a sweep's points run without faults
  return faults.flatMap((f) => {
    const { atMs, kind, via } = (f ?? {}) as { atMs?: unknown; kind?: unknown; via?: unknown };
    if (typeof atMs !== 'number' || !Number.isFinite(atMs)) return [];
    const what =
      kind === 'cut'
        ? via === 'proxy'
          ? 'cut at the proxies'
          : via === 'server'
            ? 'cut by the server'
            : 'cut'
        : kind === 'restart'
          ? 'server restart'
          : String(kind);
    return [{ atS: atMs / 1000, label: `${what} ${formatValue(atMs / 1000)} s` }];
  });
}

/** Vertical dashed lines at `xs`, from 0 to `top`, as one dataset (gaps between them). */
function verticals(
  label: string,
  xs: number[],
  top: number,
  color: string,
  borderDash: number[],
): ChartDataset<'line', { x: number; y: Value }[]> {
  return {
    label,
    data: xs.flatMap((x) => [
      { x, y: 0 },
      { x, y: top },
      { x, y: null },
    ]),
    borderColor: color,
    backgroundColor: color,
    borderWidth: 1.5,
    borderDash,
    pointRadius: 0,
    pointStyle: 'line',
    spanGaps: false,
    order: 1,
  };
}

export function timelineChart(summary: Summary): ChartSpec {
  // With several groups per transport (resume on and off), each group is a curve: the naive
  // ones dashed, darker and wider, so they show as a dashed edge where the two agree.
  const series: { label: string; transport: TransportName; naive: boolean; s: TransportSummary }[] =
    summary.groups && summary.groups.length > 0
      ? groupsInOrder(summary.groups).map((g) => ({
          label: g.resume ? g.name : `${g.name} (resume off)`,
          transport: g.transport,
          naive: !g.resume,
          s: g,
        }))
      : presentTransports(summary.transports).map((t) => ({
          label: t,
          transport: t,
          naive: false,
          s: summary.transports[t] as TransportSummary,
        }));
  const datasets: ChartDataset<'line', { x: number; y: Value }[]>[] = series.map(({ label, transport, naive, s }) => {
    const timeline = (s.timeline ?? []).map((y) => finite(y));
    const width = TIMELINE_WIDTH[transport] + (naive ? 1.5 : 0);
    const color = naive ? darken(TRANSPORT_COLORS[transport], 0.4) : TRANSPORT_COLORS[transport];
    return {
      label,
      // One step per one-second bucket, [x, x + 1): the last point closes the last step.
      // chart.js's 'before' keeps each value until the next point (its 'after' holds it before).
      data: [
        ...timeline.map((y, x) => ({ x, y })),
        ...(timeline.length > 0 ? [{ x: timeline.length, y: timeline.at(-1) as Value }] : []),
      ],
      stepped: 'before' as const,
      pointStyle: 'line' as const,
      borderColor: color,
      backgroundColor: color,
      borderWidth: width,
      ...(naive ? { borderDash: [7, 5] } : {}),
      pointRadius: 0,
      order: 0,
    };
  });
  const values = series.flatMap(({ s }) =>
    (s.timeline ?? []).map((y) => finite(y)).filter((y): y is number => y !== null),
  );
  const { top, step } = niceScale(Math.max(1, ...values) * 1.05);
  const notes: string[] = ['one step per second of receive time'];
  const faults = faultsOf(summary);
  if (faults.length > 0) {
    const label = `faults: ${faults.map((f) => f.label).join(' · ')}`;
    const atS = faults.map((f) => f.atS);
    datasets.push(verticals(label, atS, top, INK, [4, 4]));
  }
  const counted = series.map(({ s }) => finite(s.countedMs)).filter((v): v is number => v !== null);
  if (counted.length > 0) {
    const closes = Math.max(...counted) / 1000;
    datasets.push(verticals('window closes (feed paused)', [closes], top, WINDOW_COLOR, [2, 3]));
    notes.push('after the window closes: the drain (stragglers of its messages)');
  }
  const oneAtATime = (summary.params as { sweep?: { oneTransportAtATime?: unknown } }).sweep?.oneTransportAtATime;
  if (summary.sweep && oneAtATime === true) notes.push('each transport ran alone, on its own clock');
  const title = summary.groups
    ? 'Deliveries per second over the run, per client group'
    : 'Deliveries per second over the run';
  const options = baseOptions(title, [transportsSubtitle(summary), ...notes]);
  // Legend entries as short lines, drawn as the curves are (width, dashes).
  options.plugins.legend.labels = { ...options.plugins.legend.labels, usePointStyle: true, pointStyleWidth: 36 };
  const y = valueAxis('deliveries per second, all clients', 'messages/s', [], { allowLog: false }) as Record<
    string,
    unknown
  >;
  // chart.js takes stepSize as a least step and may double it; a tick count is exact.
  const count = Math.round(top / step) + 1;
  const config = {
    type: 'line',
    data: { datasets },
    options: {
      ...options,
      scales: {
        x: { type: 'linear', min: 0, ...numericAxisLook('time since the measurement window opened (s)') },
        y: { ...y, min: 0, max: top, ticks: { ...(y.ticks as object), count } } as ScaleOptions,
      },
    },
  };
  return { file: 'timeline.png', title, config: config as ChartConfiguration };
}
