/**
 * The axes of the charts: value axes that go logarithmic when the values spread too far, with
 * 1–2–5 bounds and tick labels, and category axes.
 */
import type { ScaleOptions as ChartScaleOptions } from 'chart.js';
import { GRID, TEXT, type Value } from './style.js';

/** One axis of `options.scales`, as chart.js's config types take it. */
export type ScaleOptions = ChartScaleOptions<'linear' | 'logarithmic' | 'category'>;

/** Above this max/min ratio a value axis goes logarithmic, or the small bars vanish. */
const LOG_SPREAD = 50;

/** Whether the positive values spread over more than `ratio` (and none is zero or negative). */
export function spreadsOver(values: Value[], ratio: number): boolean {
  const known = values.filter((v): v is number => v !== null);
  if (known.length < 2 || known.some((v) => v <= 0)) return false;
  return Math.max(...known) / Math.min(...known) > ratio;
}

export function axisTitle(text: string) {
  return { display: true, text, color: TEXT, font: { size: 13, weight: 'bold' as const } };
}

/** The title, grid and ticks of a numeric axis (its `type` and range come first, from the caller). */
export function numericAxisLook(title: string) {
  return { title: axisTitle(title), grid: { color: GRID }, ticks: { color: TEXT } };
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

export function valueAxis(
  title: string,
  unit: string,
  values: Value[],
  options: { allowLog?: boolean; max?: number } = {},
): ScaleOptions {
  const log = (options.allowLog ?? true) && spreadsOver(values, LOG_SPREAD);
  const scale: Record<string, unknown> = {
    type: log ? 'logarithmic' : 'linear',
    ...numericAxisLook(`${title} (${unit}${log ? ', log scale' : ''})`),
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

export function categoryAxis(title: string): ScaleOptions {
  return {
    type: 'category',
    title: axisTitle(title),
    grid: { display: false },
    ticks: { color: TEXT, font: { size: 12 } },
  } as ScaleOptions;
}

/** The axis with its datasets stacked. */
export function stacked(axis: ScaleOptions): ScaleOptions {
  return { ...axis, stacked: true } as ScaleOptions;
}
