/**
 * A sweep chart: one curve per transport over the swept value, predictions dashed; a further
 * client group of a transport (payload-sweep's websocket-deflate, sweep-series.ts) gets a curve
 * of its own in a darker shade of the transport's colour, with a star.
 */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { numericAxisLook, type ScaleOptions, spreadsOver, valueAxis } from '../../../charts/axes.js';
import {
  baseOptions,
  type ChartSpec,
  darken,
  finite,
  runLine,
  TRANSPORT_COLORS,
  type Value,
  withAlpha,
} from '../../../charts/style.js';
import type { TransportName } from '../../../contract/index.js';
import type { Summary } from '../../summary.js';
import { sweepSeries } from '../sweep-series.js';
import { type ErrorBar, errorBar, repeatLine } from './error-bars.js';
import type { SweepMetric } from './sweep-metrics.js';

/**
 * Sweep curves of equal values lie on one another (sse and websocket often do): each transport
 * gets its own marker, larger the earlier it is drawn, so the one underneath still shows.
 * chart.js draws the last dataset first.
 */
const SWEEP_MARKERS: Record<
  TransportName,
  { pointStyle: 'circle' | 'rect' | 'triangle' | 'rectRot' | 'crossRot'; pointRadius: number }
> = {
  'short-poll': { pointStyle: 'circle', pointRadius: 3.5 },
  'long-poll': { pointStyle: 'rect', pointRadius: 4 },
  sse: { pointStyle: 'triangle', pointRadius: 5 },
  websocket: { pointStyle: 'rectRot', pointRadius: 6.5 },
  // Drawn first of all, under the rest: an open cross still shows through what lies on it.
  'socket.io': { pointStyle: 'crossRot', pointRadius: 8 },
};
/** A further group's curve: a star (no transport uses one), in the darker shade of its transport. */
const FURTHER_MARKER = { pointStyle: 'star', pointRadius: 7 } as const;
const FURTHER_DARKEN = 0.35;

/** The loop delay is drawn when, somewhere, it is at least this share of the value and this many ms. */
const LOOP_SHARE = 0.1;
const LOOP_MIN_MS = 5;

export function sweepChart(summary: Summary, metric: SweepMetric): ChartSpec {
  const sweep = summary.sweep as NonNullable<Summary['sweep']>;
  const points = [...sweep.points].sort((a, b) => a.value - b.value);
  const datasets: (ChartDataset<'line', { x: number; y: Value }[]> & { errorBars?: (ErrorBar | null)[] })[] = [];
  const all = sweepSeries(points);
  const series = all.filter((s) => s.primary || metric.furtherGroups !== false);
  const leftOut = all.filter((s) => !series.includes(s));
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
  series.forEach((one, i) => {
    const t = one.transport;
    const color = one.primary ? TRANSPORT_COLORS[t] : darken(TRANSPORT_COLORS[t], FURTHER_DARKEN);
    const hollow = points.map((p) => {
      const s = one.at(p);
      return s != null && metric.coarse?.(s) === true;
    });
    hollowShown ||= hollow.some(Boolean);
    // chart.js draws the highest `order` first (and lists the lowest first): a prediction (3i)
    // is drawn over its own measured curve (3i + 1), in a darker shade, so its dashes show even
    // where the two agree; the loop delay (3i + 2) goes underneath.
    datasets.push({
      label: one.label,
      data: points.map((p) => {
        const s = one.at(p);
        return { x: p.value, y: s ? finite(metric.measure(s)) : null };
      }),
      borderColor: color,
      backgroundColor: color,
      borderWidth: 2,
      ...(one.primary ? SWEEP_MARKERS[t] : FURTHER_MARKER),
      ...(hollow.some(Boolean)
        ? { pointBackgroundColor: hollow.map((h) => (h ? '#ffffff' : color)), pointBorderWidth: 2 }
        : {}),
      spanGaps: true,
      order: 3 * i + 1,
      // A repeated run: each point's spread over the runs (the run's point at the same value).
      errorBars: points.map((p) =>
        errorBar(summary, (run) => {
          const q = run.sweep?.points.find((x) => x.value === p.value);
          const s = q ? one.at(q) : undefined;
          return s ? metric.measure(s) : null;
        }),
      ),
    });
    // A prediction is the transport's (its framing floor, its model): drawn with its own curve only.
    const key = one.primary ? metric.predicted : undefined;
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
      const loop = points.map((p) => ({ x: p.value, y: finite(one.at(p)?.clientLoopDelayMs?.p99) }));
      if (loop.some((p) => p.y !== null))
        datasets.push({
          label: `${one.label}: client thread p99`,
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
    ...numericAxisLook(`${sweep.parameter} (${sweep.unit}${xLog ? ', log scale' : ''})`),
  } as ScaleOptions;
  const ys = datasets.flatMap((d) => d.data.map((p) => p.y));
  const whiskers = datasets.flatMap((d) => (d.errorBars ?? []).map((e) => e?.hi ?? null));
  const y = valueAxis(metric.axis, metric.unit, [...ys, ...whiskers], { allowLog: metric.allowLog, max: metric.max });
  const parts = [runLine(summary)];
  const repeated = repeatLine(summary);
  if (repeated) parts.push(repeated);
  if (predictedShown) parts.push("dashed: the scenario's prediction (a model, or the protocol floor)");
  if (loopShown)
    parts.push(
      "dotted: the runner's client-thread event-loop delay p99 — queueing inside the simulation, part of the age",
    );
  if (metric.note) parts.push(metric.note);
  if (leftOut.length > 0 && metric.furtherGroupsNote)
    parts.push(`${leftOut.map((s) => s.label).join(', ')} not drawn: ${metric.furtherGroupsNote}`);
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
