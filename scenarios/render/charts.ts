/**
 * chart.js configurations drawn from a `Summary` alone (DESIGN.md §5). Pure: the same configs
 * are rendered to PNG in Node (png.ts) and drawn live by report.html, so they hold plain data
 * only — no callbacks — and survive `JSON.stringify`.
 */
import type { ChartConfiguration, ChartDataset, ScaleOptions as ChartScaleOptions } from 'chart.js';
import type { TransportName } from '../../contract/index.js';
import type { Summary, SweepPoint, TransportSummary } from '../summary.js';
import { formatValue, presentTransports } from './table.js';

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

function baseOptions(title: string, subtitle: string) {
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
        display: subtitle !== '',
        text: subtitle,
        color: '#4b5563',
        font: { size: 12 },
        padding: { bottom: 8 },
      },
      legend: { display: true, position: 'top' as const, labels: { color: TEXT, font: { size: 12 } } },
    },
  };
}

/** What the per-transport charts of a sweep show: the last point only (`transports`). */
function subtitleOf(summary: Summary): string {
  const base = `scenario ${summary.scenario} · ${summary.startedAt}`;
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
  const config = {
    type: 'bar',
    data: {
      labels: transports.map((t, i) => [t, `${formatValue(wire[i])} B/msg`]),
      datasets,
    },
    options: {
      ...baseOptions(title, subtitleOf(summary)),
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
  const config = {
    type: 'bar',
    data: {
      labels: transports.map((t, i) => [t, `${formatValue(values[i])} requests/msg`]),
      datasets,
    },
    options: {
      ...baseOptions(title, subtitleOf(summary)),
      scales: {
        x: categoryAxis('transport'),
        // Linear on purpose: the streams' near-zero bar is the lesson; the value is in the label.
        y: valueAxis('HTTP requests per delivered message', 'requests/message', values, { allowLog: false }),
      },
    },
  } satisfies ChartConfiguration<'bar'>;
  return { file: 'requests-per-message.png', title, config: config as ChartConfiguration };
}

function timelineChart(summary: Summary): ChartSpec {
  const transports = presentTransports(summary.transports);
  const datasets = transports.map((t) => ({
    label: t,
    data: (summary.transports[t]?.timeline ?? []).map((y, x) => ({ x, y })),
    borderColor: TRANSPORT_COLORS[t],
    backgroundColor: TRANSPORT_COLORS[t],
    borderWidth: 2,
    pointRadius: 0,
    tension: 0,
  }));
  const title = 'Deliveries per second over the run';
  const config = {
    type: 'line',
    data: { datasets },
    options: {
      ...baseOptions(title, subtitleOf(summary)),
      scales: {
        x: {
          type: 'linear',
          title: axisTitle('time since the measurement started (s)'),
          grid: { color: GRID },
          ticks: { color: TEXT },
        },
        y: valueAxis('deliveries per second, all clients', 'messages/s', [], { allowLog: false }),
      },
    },
  } satisfies ChartConfiguration<'line'>;
  return { file: 'timeline.png', title, config: config as ChartConfiguration };
}

// ---------------------------------------------------------------------------------------------
// Sweep charts: one curve per transport over the swept value, predictions dashed.

interface SweepMetric {
  file: string;
  title: string;
  axis: string;
  unit: string;
  predicted: PredictedKey;
  measure: (s: TransportSummary) => number | null | undefined;
  max?: number;
  allowLog?: boolean;
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

function sweepChart(summary: Summary, metric: SweepMetric): ChartSpec {
  const sweep = summary.sweep as NonNullable<Summary['sweep']>;
  const points = [...sweep.points].sort((a, b) => a.value - b.value);
  const datasets: ChartDataset<'line', { x: number; y: Value }[]>[] = [];
  sweepTransports(points).forEach((t, i) => {
    const color = TRANSPORT_COLORS[t];
    // chart.js draws the highest `order` first: a prediction (order 2i) is drawn over its own
    // measured curve (2i + 1), in a darker shade, so its dashes show even where the two agree.
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
      spanGaps: true,
      order: 2 * i + 1,
    });
    const predicted = points.map((p) => ({ x: p.value, y: finite(p.predicted?.[t]?.[metric.predicted]) }));
    if (predicted.some((p) => p.y !== null)) {
      datasets.push({
        label: `${t} (predicted)`,
        data: predicted,
        borderColor: darken(color, 0.45),
        backgroundColor: withAlpha(color, 0),
        borderWidth: 2,
        borderDash: [6, 5],
        pointRadius: 0,
        spanGaps: true,
        order: 2 * i,
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
  const config = {
    type: 'line',
    data: { datasets },
    options: {
      ...baseOptions(
        metric.title,
        `scenario ${summary.scenario} · ${summary.startedAt} · dashed: the model's prediction`,
      ),
      scales: { x, y: valueAxis(metric.axis, metric.unit, ys, { allowLog: metric.allowLog, max: metric.max }) },
    },
  };
  return { file: metric.file, title: metric.title, config: config as ChartConfiguration };
}

/** Every chart of a summary: the sweep curves when it is a sweep, then the per-transport charts. */
export function chartConfigs(summary: Summary): ChartSpec[] {
  const charts: ChartSpec[] = [];
  // A sweep's curves are its result; the per-transport charts then show its last point only.
  if (summary.sweep && summary.sweep.points.length > 0) {
    for (const metric of SWEEP_METRICS) charts.push(sweepChart(summary, metric));
  }
  if (presentTransports(summary.transports).length > 0) {
    charts.push(latencyChart(summary), bytesChart(summary), requestsChart(summary), timelineChart(summary));
  }
  return charts;
}
