/**
 * chart.js configurations drawn from a `Summary` alone (DESIGN.md §5). Pure: the same configs
 * are rendered to PNG in Node (png.ts) and drawn live by report.html, so they hold plain data
 * only — no callbacks — and survive `JSON.stringify`.
 */
import type { ChartConfiguration, ChartDataset, ScaleOptions as ChartScaleOptions } from 'chart.js';
import type { TransportName } from '../../contract/index.js';
import type { GroupSummary, Summary, SweepPoint, TransportSummary } from '../summary.js';
import { formatCount, formatValue, groupsInOrder, presentTransports } from './table.js';

/**
 * One colour per transport, everywhere (Okabe–Ito, readable by the colour-blind):
 * the polls warm, the streams cool.
 */
export const TRANSPORT_COLORS: Record<TransportName, string> = {
  'short-poll': '#D55E00',
  'long-poll': '#CC79A7',
  sse: '#0072B2',
  websocket: '#009E73',
};

/**
 * The keys of `SweepPoint.predicted[transport]` the sweep charts draw (dashed) beside the
 * measured value: `p50` and `p99` in ms, `bytesPerMessage` in bytes, `overheadPct` in % of wire
 * bytes, `requestsPerMessage`. Other keys are kept in summary.json but not drawn.
 */
export const PREDICTED_KEYS = ['p50', 'p99', 'bytesPerMessage', 'overheadPct', 'requestsPerMessage'] as const;
export type PredictedKey = (typeof PREDICTED_KEYS)[number];

export interface ChartSpec {
  /** File name of the PNG (and id of the chart in report.html). */
  file: string;
  title: string;
  config: ChartConfiguration;
}

/** One axis of `options.scales`, as chart.js's config types take it. */
type ScaleOptions = ChartScaleOptions<'linear' | 'logarithmic' | 'category'>;

const TEXT = '#1f2937';
const GRID = '#e5e7eb';
const PAYLOAD_COLOR = '#9ca3af';

/**
 * Sweep curves of equal values lie on one another (sse and websocket often do): each transport
 * gets its own marker, larger the earlier it is drawn, so the one underneath still shows.
 * chart.js draws the last dataset first.
 */
const SWEEP_MARKERS: Record<
  TransportName,
  { pointStyle: 'circle' | 'rect' | 'triangle' | 'rectRot'; pointRadius: number }
> = {
  'short-poll': { pointStyle: 'circle', pointRadius: 3.5 },
  'long-poll': { pointStyle: 'rect', pointRadius: 4 },
  sse: { pointStyle: 'triangle', pointRadius: 5 },
  websocket: { pointStyle: 'rectRot', pointRadius: 6.5 },
};
const FLOOR_COLOR = '#111827';

/** Above this max/min ratio a value axis goes logarithmic, or the small bars vanish. */
const LOG_SPREAD = 50;

type Value = number | null;

const finite = (v: number | null | undefined): Value => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** The colour mixed with black: `amount` 0 keeps it, 1 is black. */
function darken(hex: string, amount: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const c = (shift: number) => Math.round(((n >> shift) & 255) * (1 - amount));
  return `rgb(${c(16)}, ${c(8)}, ${c(0)})`;
}

/** Whether the positive values spread over more than `ratio` (and none is zero or negative). */
function spreadsOver(values: Value[], ratio: number): boolean {
  const known = values.filter((v): v is number => v !== null);
  if (known.length < 2 || known.some((v) => v <= 0)) return false;
  return Math.max(...known) / Math.min(...known) > ratio;
}

function axisTitle(text: string) {
  return { display: true, text, color: TEXT, font: { size: 13, weight: 'bold' as const } };
}

/** The 1–2–5 step at or below (`down`) or at or above (`up`) a positive value: log axes end on one. */
function logBound(v: number, direction: 'down' | 'up'): number {
  const base = 10 ** Math.floor(Math.log10(v));
  const m = v / base;
  const step =
    direction === 'down'
      ? ([5, 2, 1].find((s) => s <= m + 1e-9) ?? 1)
      : ([1, 2, 5, 10].find((s) => s >= m - 1e-9) ?? 10);
  return Number((step * base).toPrecision(12));
}

/**
 * A log axis ticks 1, 2, 3 … 9 in every decade and chart.js labels the last fifth of them all,
 * which piles labels up at the top. The renderers (png.ts, report.html) set this as the tick
 * callback of every logarithmic axis: it labels 1, 2 and 5 only. Self-contained on purpose —
 * report.html embeds its source.
 */
export function logTickLabel(value: number | string): string {
  const v = Number(value);
  if (!(v > 0) || !Number.isFinite(v)) return '';
  const significand = Math.round((v / 10 ** Math.floor(Math.log10(v) + 1e-9)) * 1000) / 1000;
  if (significand !== 1 && significand !== 2 && significand !== 5) return '';
  return v.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

function valueAxis(
  title: string,
  unit: string,
  values: Value[],
  options: { allowLog?: boolean; max?: number } = {},
): ScaleOptions {
  const log = (options.allowLog ?? true) && spreadsOver(values, LOG_SPREAD);
  const scale: Record<string, unknown> = {
    type: log ? 'logarithmic' : 'linear',
    title: axisTitle(`${title} (${unit}${log ? ', log scale' : ''})`),
    grid: { color: GRID },
    ticks: { color: TEXT },
  };
  if (log) {
    const known = values.filter((v): v is number => v !== null);
    // A little room beyond the data, so no marker sits on the frame.
    scale.min = logBound(Math.min(...known) / 1.1, 'down');
    scale.max = logBound(Math.max(...known) * 1.1, 'up');
  } else {
    scale.beginAtZero = true;
    // Room above the highest value, so no marker sits on the frame (ignored where max is set).
    scale.grace = '5%';
  }
  if (options.max !== undefined) scale.max = options.max;
  return scale as ScaleOptions;
}

function categoryAxis(title: string): ScaleOptions {
  return {
    type: 'category',
    title: axisTitle(title),
    grid: { display: false },
    ticks: { color: TEXT, font: { size: 12 } },
  } as ScaleOptions;
}

/** Subtitle parts joined by ' · ', wrapped into lines that fit the chart's width. */
function subtitleLines(parts: string[], max = SUBTITLE_CHARS): string[] {
  const lines: string[] = [];
  for (const part of parts.filter((p) => p !== '')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 3 + part.length <= max) lines[lines.length - 1] = `${last} · ${part}`;
    else lines.push(part);
  }
  return lines;
}

/** About this many characters of 12 px subtitle fit across a 1 100 px chart, with margins. */
const SUBTITLE_CHARS = 150;

function baseOptions(title: string, subtitle: string | string[]) {
  const lines = Array.isArray(subtitle) ? subtitleLines(subtitle) : subtitleLines([subtitle]);
  return {
    animation: false as const,
    plugins: {
      title: {
        display: true,
        text: title,
        color: TEXT,
        font: { size: 17, weight: 'bold' as const },
        padding: { top: 8, bottom: 2 },
      },
      subtitle: {
        display: lines.length > 0,
        text: lines.length === 1 ? lines[0] : lines,
        color: '#4b5563',
        font: { size: 12 },
        padding: { bottom: 8 },
      },
      legend: {
        display: true,
        position: 'top' as const,
        labels: { color: TEXT, font: { size: 12 } } as Record<string, unknown>,
      },
    },
  };
}

/** What the per-transport charts of a sweep show: the last point only (`transports`). */
function subtitleOf(summary: Summary): string {
  let base = `scenario ${summary.scenario} · ${summary.startedAt}`;
  // With several groups per transport, `transports` holds each transport's first one.
  const groups = summary.groups ?? [];
  if (groups.length > 0) {
    const firsts = presentTransports(summary.transports).map((t) => groups.find((g) => g.transport === t));
    const resume = firsts.every((g) => g?.resume === true)
      ? ' (resume on)'
      : firsts.every((g) => g?.resume === false)
        ? ' (resume off)'
        : '';
    base += ` · each transport's first client group${resume}; every group: groups-lost.png and the report's tables`;
  }
  const last = summary.sweep?.points.at(-1);
  if (!summary.sweep || !last) return base;
  return `${base} · last sweep point: ${summary.sweep.parameter} = ${formatValue(last.value, 4)} ${summary.sweep.unit}`;
}

// ---------------------------------------------------------------------------------------------
// Per-transport charts.

const PERCENTILES = [
  { key: 'p50', label: 'p50' },
  { key: 'p90', label: 'p90' },
  { key: 'p99', label: 'p99' },
  { key: 'p999', label: 'p99.9' },
] as const;

function latencyChart(summary: Summary): ChartSpec {
  const transports = presentTransports(summary.transports);
  const datasets = transports.map((t) => {
    const s = summary.transports[t] as TransportSummary;
    return {
      label: t,
      data: PERCENTILES.map((p) => finite(s.latencyMs?.[p.key])),
      backgroundColor: TRANSPORT_COLORS[t],
      borderColor: TRANSPORT_COLORS[t],
      borderWidth: 1,
    };
  });
  const title = 'Event age (latency) percentiles per transport';
  const config = {
    type: 'bar',
    data: { labels: PERCENTILES.map((p) => p.label), datasets },
    options: {
      ...baseOptions(title, subtitleOf(summary)),
      scales: {
        x: categoryAxis('percentile of delivered messages'),
        y: valueAxis(
          'event age',
          'ms',
          datasets.flatMap((d) => d.data),
        ),
      },
    },
  } satisfies ChartConfiguration<'bar'>;
  return { file: 'latency-percentiles.png', title, config: config as ChartConfiguration };
}

function bytesChart(summary: Summary): ChartSpec {
  const transports = presentTransports(summary.transports);
  const of = (t: TransportName) => summary.transports[t] as TransportSummary;
  const payload = transports.map((t) => finite(of(t).payloadPerMessage));
  const wire = transports.map((t) => finite(of(t).bytesPerMessage));
  const floor = transports.map((t, i) => {
    const f = finite(of(t).floorOverheadPerMessage);
    return f === null || payload[i] === null ? null : (payload[i] as number) + f;
  });
  // `order` sets the legend order and the drawing order (highest first): the floor marker is
  // drawn over the overhead bars it sits in.
  const datasets: ChartDataset<'bar' | 'line', Value[]>[] = [
    {
      type: 'bar',
      label: 'payload (message JSON)',
      data: payload,
      backgroundColor: PAYLOAD_COLOR,
      stack: 'wire',
      order: 0,
    },
    {
      type: 'line',
      label: 'protocol floor (payload + least framing)',
      data: floor,
      showLine: false,
      pointStyle: 'line',
      pointRadius: 34,
      pointHoverRadius: 34,
      borderWidth: 3,
      borderColor: FLOOR_COLOR,
      backgroundColor: FLOOR_COLOR,
      // Not stacked on the bars: a floor is a level, not an amount.
      stack: 'floor',
      order: 1,
    },
    // One overhead dataset per transport (a value at its own index only), so the legend
    // shows the transport colours.
    ...transports.map(
      (t, i): ChartDataset<'bar', Value[]> => ({
        type: 'bar',
        label: `${t} overhead`,
        data: transports.map((_, j) => {
          const w = wire[j];
          const p = payload[j];
          return j === i && w !== null && p !== null ? Math.max(0, w - p) : null;
        }),
        backgroundColor: TRANSPORT_COLORS[t],
        stack: 'wire',
        order: 2,
      }),
    ),
  ];
  const title = 'Wire bytes per delivered message: payload vs overhead';
  // Less overhead than the protocol's floor (even fewer wire bytes than payload) is no saving:
  // the counting window's edges moved the divisor. Said in the subtitle; a negative overhead
  // cannot be stacked, so that bar shows the payload alone.
  const belowFloor = transports.filter((_, i) => {
    const w = wire[i];
    const p = payload[i];
    const f = floor[i];
    return w !== null && p !== null && f !== null && w < f - 0.5;
  });
  const underPayload = transports.filter(
    (_, i) => wire[i] !== null && payload[i] !== null && (wire[i] as number) < (payload[i] as number),
  );
  const parts = [subtitleOf(summary)];
  if (belowFloor.length > 0)
    parts.push(
      `${belowFloor.join(', ')}: below the protocol floor — an edge effect of the counting window, not a saving${underPayload.length > 0 ? ` (${underPayload.join(', ')}: under the payload itself; the bar shows the payload, the label the measurement)` : ''}`,
    );
  const config = {
    type: 'bar',
    data: {
      labels: transports.map((t, i) => [t, `${formatValue(wire[i])} B/msg`]),
      datasets,
    },
    options: {
      ...baseOptions(title, parts),
      scales: {
        x: { ...categoryAxis('transport'), stacked: true } as ScaleOptions,
        y: {
          ...valueAxis('wire bytes per delivered message', 'bytes', [...wire, ...payload]),
          stacked: true,
        } as ScaleOptions,
      },
    },
  };
  return { file: 'bytes-per-message.png', title, config: config as ChartConfiguration };
}

function requestsChart(summary: Summary): ChartSpec {
  const transports = presentTransports(summary.transports);
  const values = transports.map((t) => finite(summary.transports[t]?.requestsPerMessage));
  const datasets = transports.map((t, i) => ({
    label: t,
    data: transports.map((_, j) => (j === i ? values[i] : null)),
    backgroundColor: TRANSPORT_COLORS[t],
    borderColor: TRANSPORT_COLORS[t],
    // Each category holds only its own transport's bar, centred.
    skipNull: true,
  }));
  const title = 'HTTP requests per delivered message';
  // A stream's one request per connection came before the counting window: say why it is 0.
  const none = transports.filter((t) => {
    const s = summary.transports[t] as TransportSummary;
    return s.requests === 0 && (s.countedMessages ?? s.delivered) > 0;
  });
  const parts = [subtitleOf(summary)];
  if (none.length > 0)
    parts.push(`${none.join(', ')}: 0 — their connections were opened before the counting window and held throughout`);
  const config = {
    type: 'bar',
    data: {
      labels: transports.map((t, i) => [t, `${formatValue(values[i])} requests/msg`]),
      datasets,
    },
    options: {
      ...baseOptions(title, parts),
      scales: {
        x: categoryAxis('transport'),
        // Linear on purpose: the streams' near-zero bar is the lesson; the value is in the label.
        y: valueAxis('HTTP requests per delivered message', 'requests/message', values, { allowLog: false }),
      },
    },
  } satisfies ChartConfiguration<'bar'>;
  return { file: 'requests-per-message.png', title, config: config as ChartConfiguration };
}

/** A timeline's curves lie on one another when deliveries agree: the widest is drawn first, underneath. */
const TIMELINE_WIDTH: Record<TransportName, number> = {
  'short-poll': 1.75,
  'long-poll': 3,
  sse: 4.25,
  websocket: 5.5,
};
const FAULT_COLOR = '#111827';
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

/** A vertical line at each x, from 0 to `top`, as one dataset (gaps between them). */
function verticals(xs: number[], top: number): { x: number; y: Value }[] {
  return xs.flatMap((x) => [
    { x, y: 0 },
    { x, y: top },
    { x, y: null },
  ]);
}

function timelineChart(summary: Summary): ChartSpec {
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
      borderColor: naive ? darken(TRANSPORT_COLORS[transport], 0.4) : TRANSPORT_COLORS[transport],
      backgroundColor: naive ? darken(TRANSPORT_COLORS[transport], 0.4) : TRANSPORT_COLORS[transport],
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
    datasets.push({
      label: `faults: ${faults.map((f) => f.label).join(' · ')}`,
      data: verticals(
        faults.map((f) => f.atS),
        top,
      ),
      borderColor: FAULT_COLOR,
      backgroundColor: FAULT_COLOR,
      borderWidth: 1.5,
      borderDash: [4, 4],
      pointRadius: 0,
      pointStyle: 'line',
      spanGaps: false,
      order: 1,
    });
  }
  const counted = series.map(({ s }) => finite(s.countedMs)).filter((v): v is number => v !== null);
  if (counted.length > 0) {
    const closes = Math.max(...counted) / 1000;
    datasets.push({
      label: 'window closes (feed paused)',
      data: verticals([closes], top),
      borderColor: WINDOW_COLOR,
      backgroundColor: WINDOW_COLOR,
      borderWidth: 1.5,
      borderDash: [2, 3],
      pointRadius: 0,
      pointStyle: 'line',
      spanGaps: false,
      order: 1,
    });
    notes.push('after the window closes: the drain (stragglers of its messages)');
  }
  const oneAtATime = (summary.params as { sweep?: { oneTransportAtATime?: unknown } }).sweep?.oneTransportAtATime;
  if (summary.sweep && oneAtATime === true) notes.push('each transport ran alone, on its own clock');
  const title = summary.groups
    ? 'Deliveries per second over the run, per client group'
    : 'Deliveries per second over the run';
  const options = baseOptions(title, [subtitleOf(summary), ...notes]);
  // Legend entries as short lines, drawn as the curves are (width, dashes).
  options.plugins.legend.labels = { ...options.plugins.legend.labels, usePointStyle: true, pointStyleWidth: 36 };
  const config = {
    type: 'line',
    data: { datasets },
    options: {
      ...options,
      scales: {
        x: {
          type: 'linear',
          min: 0,
          title: axisTitle('time since the measurement window opened (s)'),
          grid: { color: GRID },
          ticks: { color: TEXT },
        },
        y: (() => {
          const y = valueAxis('deliveries per second, all clients', 'messages/s', [], { allowLog: false }) as Record<
            string,
            unknown
          >;
          // chart.js takes stepSize as a least step and may double it; a tick count is exact.
          const count = Math.round(top / step) + 1;
          return { ...y, min: 0, max: top, ticks: { ...(y.ticks as object), count } } as ScaleOptions;
        })(),
      },
    },
  };
  return { file: 'timeline.png', title, config: config as ChartConfiguration };
}

// ---------------------------------------------------------------------------------------------
// Sweep charts: one curve per transport over the swept value, predictions dashed.

interface SweepMetric {
  file: string;
  title: string;
  axis: string;
  unit: string;
  /** The key of `SweepPoint.predicted[transport]` drawn dashed beside the measurement, if any. */
  predicted?: PredictedKey;
  measure: (s: TransportSummary) => number | null | undefined;
  max?: number;
  allowLog?: boolean;
  /** Drawn only when some point of some transport has the measurement. */
  optional?: boolean;
  /** A line of its own in the subtitle. */
  note?: string;
  /** Also draw each transport's client-thread loop delay p99, dotted, where it is a visible part of the value. */
  withLoopDelay?: boolean;
  /** Points too coarse to trust, drawn hollow, and why (in the subtitle when some are). */
  coarse?: (s: TransportSummary) => boolean;
  coarseNote?: string;
}

const SWEEP_METRICS: SweepMetric[] = [
  {
    file: 'sweep-latency-p50.png',
    title: 'Median event age (p50) over the sweep',
    axis: 'p50 event age',
    unit: 'ms',
    predicted: 'p50',
    measure: (s) => s.latencyMs?.p50,
  },
  {
    file: 'sweep-latency-p99.png',
    title: 'Tail event age (p99) over the sweep',
    axis: 'p99 event age',
    unit: 'ms',
    predicted: 'p99',
    measure: (s) => s.latencyMs?.p99,
    withLoopDelay: true,
  },
  {
    file: 'sweep-server-cpu-per-message.png',
    title: 'Server CPU per delivered message over the sweep',
    axis: 'server CPU per delivered message',
    unit: 'µs',
    measure: (s) => s.serverCost?.cpuUsPerDelivered,
    optional: true,
    coarse: (s) => (s.serverCost?.cpuMs ?? Number.POSITIVE_INFINITY) < 100,
    note: 'each transport ran alone against the server · CPU ÷ the messages its clients received while counting',
    coarseNote: "hollow: under 100 ms of CPU, where /proc's 10 ms ticks make it ±10 % or worse",
  },
  {
    file: 'sweep-bytes-per-message.png',
    title: 'Wire bytes per delivered message over the sweep',
    axis: 'wire bytes per delivered message',
    unit: 'bytes',
    predicted: 'bytesPerMessage',
    measure: (s) => s.bytesPerMessage,
  },
  {
    file: 'sweep-overhead.png',
    title: 'Overhead share of the wire bytes over the sweep',
    axis: 'overhead (wire − payload) / wire',
    unit: '%',
    predicted: 'overheadPct',
    measure: (s) =>
      s.bytesPerMessage > 0 ? (100 * (s.bytesPerMessage - s.payloadPerMessage)) / s.bytesPerMessage : null,
    max: 100,
    allowLog: false,
  },
  {
    file: 'sweep-requests-per-message.png',
    title: 'HTTP requests per delivered message over the sweep',
    axis: 'HTTP requests per delivered message',
    unit: 'requests/message',
    predicted: 'requestsPerMessage',
    measure: (s) => s.requestsPerMessage,
  },
];

function sweepTransports(points: SweepPoint[]): TransportName[] {
  const seen: Partial<Record<TransportName, true>> = {};
  for (const p of points) for (const t of presentTransports(p.transports)) seen[t] = true;
  return presentTransports(seen);
}

/** The loop delay is drawn when, somewhere, it is at least this share of the value and this many ms. */
const LOOP_SHARE = 0.1;
const LOOP_MIN_MS = 5;

function sweepChart(summary: Summary, metric: SweepMetric): ChartSpec {
  const sweep = summary.sweep as NonNullable<Summary['sweep']>;
  const points = [...sweep.points].sort((a, b) => a.value - b.value);
  const datasets: ChartDataset<'line', { x: number; y: Value }[]>[] = [];
  const transports = sweepTransports(points);
  // The runner's own queueing (clientLoopDelayMs), where it is a visible part of the tail.
  const loopShown =
    metric.withLoopDelay === true &&
    points.some((p) =>
      Object.values(p.transports).some((s) => {
        const loop = finite(s?.clientLoopDelayMs?.p99);
        const value = s ? finite(metric.measure(s)) : null;
        return loop !== null && value !== null && loop >= LOOP_MIN_MS && loop >= LOOP_SHARE * value;
      }),
    );
  let predictedShown = false;
  let hollowShown = false;
  transports.forEach((t, i) => {
    const color = TRANSPORT_COLORS[t];
    const hollow = points.map((p) => {
      const s = p.transports[t];
      return s != null && metric.coarse?.(s) === true;
    });
    hollowShown ||= hollow.some(Boolean);
    // chart.js draws the highest `order` first (and lists the lowest first): a prediction (3i)
    // is drawn over its own measured curve (3i + 1), in a darker shade, so its dashes show even
    // where the two agree; the loop delay (3i + 2) goes underneath.
    datasets.push({
      label: t,
      data: points.map((p) => {
        const s = p.transports[t];
        return { x: p.value, y: s ? finite(metric.measure(s)) : null };
      }),
      borderColor: color,
      backgroundColor: color,
      borderWidth: 2,
      ...SWEEP_MARKERS[t],
      ...(hollow.some(Boolean)
        ? { pointBackgroundColor: hollow.map((h) => (h ? '#ffffff' : color)), pointBorderWidth: 2 }
        : {}),
      spanGaps: true,
      order: 3 * i + 1,
    });
    const key = metric.predicted;
    const predicted = points.map((p) => ({ x: p.value, y: key ? finite(p.predicted?.[t]?.[key]) : null }));
    if (predicted.some((p) => p.y !== null)) {
      predictedShown = true;
      datasets.push({
        label: `${t} (predicted)`,
        data: predicted,
        borderColor: darken(color, 0.45),
        backgroundColor: withAlpha(color, 0),
        borderWidth: 2,
        borderDash: [6, 5],
        pointRadius: 0,
        spanGaps: true,
        order: 3 * i,
      });
    }
    if (loopShown) {
      const loop = points.map((p) => ({ x: p.value, y: finite(p.transports[t]?.clientLoopDelayMs?.p99) }));
      if (loop.some((p) => p.y !== null))
        datasets.push({
          label: `${t}: client thread p99`,
          data: loop,
          borderColor: darken(color, 0.2),
          backgroundColor: withAlpha(color, 0),
          borderWidth: 1.5,
          borderDash: [2, 3],
          pointRadius: 0,
          spanGaps: true,
          order: 3 * i + 2,
        });
    }
  });
  const xs = points.map((p) => p.value);
  const xLog = spreadsOver(xs, 9);
  const x = {
    type: xLog ? 'logarithmic' : 'linear',
    title: axisTitle(`${sweep.parameter} (${sweep.unit}${xLog ? ', log scale' : ''})`),
    grid: { color: GRID },
    ticks: { color: TEXT },
  } as ScaleOptions;
  const ys = datasets.flatMap((d) => d.data.map((p) => p.y));
  const y = valueAxis(metric.axis, metric.unit, ys, { allowLog: metric.allowLog, max: metric.max });
  const parts = [`scenario ${summary.scenario} · ${summary.startedAt}`];
  if (predictedShown) parts.push("dashed: the scenario's prediction (a model, or the protocol floor)");
  if (loopShown)
    parts.push(
      "dotted: the runner's client-thread event-loop delay p99 — queueing inside the simulation, part of the age",
    );
  if (metric.note) parts.push(metric.note);
  if (hollowShown && metric.coarseNote) parts.push(metric.coarseNote);
  // A value below zero (wire bytes under the payload): the counting window's edges, not a gain.
  if (ys.some((v) => v !== null && v < 0))
    parts.push('below 0: an edge effect of the counting window (see the tables)');
  const config = {
    type: 'line',
    data: { datasets },
    options: {
      ...baseOptions(metric.title, parts),
      scales: { x, y },
    },
  };
  return { file: metric.file, title: metric.title, config: config as ChartConfiguration };
}

// ---------------------------------------------------------------------------------------------
// Client groups: resume on vs off.

const RESUME_ON = '#4b5563';
const RESUME_OFF = '#E69F00';

/** Messages lost per transport, resuming vs naive groups; the part no client could tell, lighter. */
function groupLossChart(summary: Summary): ChartSpec | null {
  const groups = summary.groups ?? [];
  if (!groups.some((g) => g.resume) || !groups.some((g) => !g.resume)) return null;
  const transports = presentTransports(Object.fromEntries(groups.map((g) => [g.transport, true])));
  const split = groups.some((g) => g.lostDetected != null);
  /** Sum over a transport's groups with that resume setting; null when it has none. */
  const total = (t: TransportName, resume: boolean, pick: (g: GroupSummary) => number | null | undefined) => {
    const matching = groups.filter((g) => g.transport === t && g.resume === resume);
    if (matching.length === 0) return null;
    return matching.reduce((sum, g) => sum + (finite(pick(g)) ?? 0), 0);
  };
  const lost = (t: TransportName, resume: boolean) => total(t, resume, (g) => g.lost);
  const seen = (t: TransportName, resume: boolean) =>
    total(t, resume, (g) => Math.min(g.lost, g.lostDetected ?? g.lost));
  const datasets: ChartDataset<'bar', Value[]>[] = [];
  for (const resume of [true, false]) {
    const color = resume ? RESUME_ON : RESUME_OFF;
    const name = resume ? 'resume on' : 'resume off (naive)';
    datasets.push({
      label: split ? `${name}: lost, the clients could tell` : `${name}: lost`,
      data: transports.map((t) => (split ? seen(t, resume) : lost(t, resume))),
      backgroundColor: color,
      borderColor: color,
      borderWidth: 1,
      stack: resume ? 'on' : 'off',
    });
    if (split)
      datasets.push({
        label: `${name}: lost, no client could tell`,
        data: transports.map((t) => {
          const l = lost(t, resume);
          const s = seen(t, resume);
          return l === null || s === null ? null : l - s;
        }),
        backgroundColor: withAlpha(color, 0.3),
        borderColor: color,
        borderWidth: 1.5,
        stack: resume ? 'on' : 'off',
      });
  }
  const label = (v: Value) => (v === null ? '–' : formatValue(v));
  const title = 'Messages lost per client group: resume on vs off';
  const parts = [`scenario ${summary.scenario} · ${summary.startedAt}`];
  if (split)
    parts.push('lighter: loss no client could tell (no seq hole, no reset notice) — e.g. the tail of a restart');
  const config = {
    type: 'bar',
    data: {
      labels: transports.map((t) => [t, `on ${label(lost(t, true))} · off ${label(lost(t, false))} lost`]),
      datasets,
    },
    options: {
      ...baseOptions(title, parts),
      scales: {
        x: { ...categoryAxis('transport'), stacked: true } as ScaleOptions,
        // Linear on purpose: a resuming group's zero is the lesson.
        y: {
          ...valueAxis('messages lost, all clients of the group', 'messages', [], { allowLog: false }),
          stacked: true,
        } as ScaleOptions,
      },
    },
  } satisfies ChartConfiguration<'bar'>;
  return { file: 'groups-lost.png', title, config: config as ChartConfiguration };
}

// ---------------------------------------------------------------------------------------------
// HTTP capacity: the lab vs bare Fastify vs bare node:http.

const POLLS_COLOR = '#4b5563';
const CPU_COLOR = '#E69F00';

/** `/api/poll (bare Fastify, same body)` → `bare Fastify`. */
function capacityName(route: string): string {
  const inner = /\(([^)]*)\)/.exec(route)?.[1];
  return (inner ?? route).replace(/,\s*same body$/, '');
}

/** `3 alternated rounds of 3 s each`, `one round of 1 s`, `3 s`. */
function roundsText(rounds: number | undefined, durationS: number): string {
  if (rounds == null) return `${formatValue(durationS)} s`;
  if (rounds === 1) return `one round of ${formatValue(durationS)} s`;
  return `${formatValue(rounds)} alternated rounds of ${formatValue(durationS)} s each`;
}

function capacityChart(summary: Summary): ChartSpec | null {
  const capacity = summary.capacity ?? [];
  if (capacity.length === 0) return null;
  const rows: { name: string; rps: Value; cpu: Value }[] = capacity.map((c) => ({
    name: capacityName(c.route),
    rps: finite(c.requestsPerSec),
    cpu: finite(c.serverCpuUsPerRequest),
  }));
  const seen = new Set<string>();
  for (const c of capacity) {
    if (!c.baseline || seen.has(c.baseline.name)) continue;
    seen.add(c.baseline.name);
    rows.push({
      name: c.baseline.name.replace(/,\s*same body$/, ''),
      rps: finite(c.baseline.requestsPerSec),
      cpu: finite(c.baselineCpuUsPerRequest),
    });
  }
  const withCpu = rows.some((r) => r.cpu !== null);
  const datasets: ChartDataset<'bar', Value[]>[] = [
    {
      label: 'polls answered per second (left axis)',
      data: rows.map((r) => r.rps),
      backgroundColor: POLLS_COLOR,
      borderColor: POLLS_COLOR,
      yAxisID: 'y',
    },
  ];
  if (withCpu)
    datasets.push({
      label: 'server CPU per poll (right axis)',
      data: rows.map((r) => r.cpu),
      backgroundColor: CPU_COLOR,
      borderColor: CPU_COLOR,
      yAxisID: 'y1',
    });
  const first = capacity[0];
  const title = withCpu
    ? 'Polls per second and CPU µs per poll: lab vs bare Fastify vs bare node:http'
    : 'Polls per second: lab vs bare Fastify vs bare node:http';
  const parts = [
    `scenario ${summary.scenario} · ${summary.startedAt}`,
    `autocannon, ${formatValue(first.connections)} connections, ${roundsText(first.rounds, first.durationS)}, same one-message body`,
    withCpu ? 'polls/s may be the load generator’s ceiling on a small machine; CPU per poll (/proc) is not' : '',
  ];
  const scales: Record<string, ScaleOptions> = {
    x: categoryAxis('server answering GET /api/poll'),
    y: valueAxis('polls answered per second', 'polls/s', [], { allowLog: false }),
  };
  if (withCpu) {
    const y1 = valueAxis('server CPU per poll', 'µs', [], { allowLog: false }) as Record<string, unknown>;
    scales.y1 = { ...y1, position: 'right', grid: { drawOnChartArea: false } } as ScaleOptions;
  }
  const config = {
    type: 'bar',
    data: {
      labels: rows.map((r) => [
        r.name,
        withCpu
          ? `${r.rps === null ? '–' : formatCount(r.rps)} polls/s · ${r.cpu === null ? '–' : formatValue(r.cpu)} µs/poll`
          : `${r.rps === null ? '–' : formatCount(r.rps)} polls/s`,
      ]),
      datasets,
    },
    options: { ...baseOptions(title, parts), scales },
  };
  return { file: 'capacity.png', title, config: config as ChartConfiguration };
}

/**
 * Every chart of a summary: the sweep curves when it is a sweep, then the per-transport charts,
 * then the client groups' losses and the HTTP capacity when the summary has them.
 */
export function chartConfigs(summary: Summary): ChartSpec[] {
  const charts: ChartSpec[] = [];
  // A sweep's curves are its result; the per-transport charts then show its last point only.
  const sweep = summary.sweep;
  if (sweep && sweep.points.length > 0) {
    for (const metric of SWEEP_METRICS) {
      const measured = sweep.points.some((p) =>
        Object.values(p.transports).some((s) => s != null && finite(metric.measure(s)) !== null),
      );
      if (metric.optional && !measured) continue;
      charts.push(sweepChart(summary, metric));
    }
  }
  if (presentTransports(summary.transports).length > 0) {
    charts.push(latencyChart(summary), bytesChart(summary), requestsChart(summary), timelineChart(summary));
  }
  const groups = groupLossChart(summary);
  if (groups) charts.push(groups);
  const capacity = capacityChart(summary);
  if (capacity) charts.push(capacity);
  return charts;
}
