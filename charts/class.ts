/**
 * A class's own charts (a classroom export, server/classroom/export.ts, and the live class page): every student's event age
 * p50 and p99 per transport as a strip plot, and each class-wide experiment's before and after.
 */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import type { ClassExperiment } from '../contract/classroom.js';
import { TRANSPORTS, type TransportName } from '../contract/index.js';
import { categoryAxis, valueAxis } from './axes.js';
import { formatValue } from './numbers.js';
import { baseOptions, type ChartSpec, GREY, runLine, TRANSPORT_COLORS, type Value, withAlpha } from './style.js';

/**
 * What the class charts read: a run's name and time, and its class (summary.json's `class`,
 * scenarios/summary.ts, or the live class view on the class page, web/src/class/main.ts).
 */
export interface ClassRun {
  scenario: string;
  startedAt: string;
  class?: {
    students: { lanes: Partial<Record<TransportName, { p50: number | null; p99: number | null }>> }[];
    experiments: ClassExperiment[];
  };
}

/** Each student's p50 (filled) and p99 (hollow) per transport: the spread of a whole class. */
export function classSpreadChart(summary: ClassRun): ChartSpec | null {
  const students = summary.class?.students ?? [];
  const transports = TRANSPORTS.filter((t) => students.some((s) => s.lanes[t]?.p50 != null));
  if (transports.length === 0) return null;
  const points = (pick: 'p50' | 'p99') =>
    transports.flatMap((t) =>
      students.flatMap((s) => {
        const value = s.lanes[t]?.[pick];
        return value == null ? [] : [{ x: t, y: Math.max(value, 0.01), transport: t }];
      }),
    );
  const p50 = points('p50');
  const p99 = points('p99');
  const dataset = (
    label: string,
    data: typeof p50,
    filled: boolean,
  ): ChartDataset<'line', { x: string; y: number }[]> => ({
    label,
    data: data.map(({ x, y }) => ({ x, y })),
    showLine: false,
    pointRadius: 5,
    pointBorderWidth: 1.5,
    pointBackgroundColor: data.map((p) => (filled ? withAlpha(TRANSPORT_COLORS[p.transport], 0.45) : 'rgba(0,0,0,0)')),
    pointBorderColor: data.map((p) => TRANSPORT_COLORS[p.transport]),
    pointStyle: filled ? 'circle' : 'rectRot',
    borderColor: GREY,
    backgroundColor: filled ? withAlpha(GREY, 0.45) : 'rgba(0,0,0,0)',
  });
  const values: Value[] = [...p50, ...p99].map((p) => p.y);
  const title = `Event age of every student, per transport (${students.length} students)`;
  const counts = transports.map((t) => `${t} ${students.filter((s) => s.lanes[t]?.p50 != null).length}`);
  const config = {
    type: 'line',
    data: {
      labels: transports as unknown as string[],
      datasets: [dataset('p50, one dot per student', p50, true), dataset('p99, one diamond per student', p99, false)],
    },
    options: {
      ...baseOptions(title, [runLine(summary), `students per transport: ${counts.join(' · ')}`]),
      scales: { x: categoryAxis('transport'), y: valueAxis('event age', 'ms', values) },
    },
  } satisfies ChartConfiguration<'line', { x: string; y: number }[]>;
  return { file: 'class-spread.png', title, config: config as unknown as ChartConfiguration };
}

/** Each class-wide experiment: the median student's recent p50 per transport, before and after. */
export function classExperimentsChart(summary: ClassRun): ChartSpec | null {
  const experiments = (summary.class?.experiments ?? []).filter((e) => e.after !== null);
  if (experiments.length === 0) return null;
  const transports = TRANSPORTS.filter((t) =>
    experiments.some((e) => e.before.transports[t] !== undefined || e.after?.transports[t] !== undefined),
  );
  const labels = experiments.flatMap((e) => transports.map((t) => [`#${e.id} ${e.label}`, t]));
  const median = (side: 'before' | 'after') =>
    experiments.flatMap((e) => transports.map((t: TransportName) => e[side]?.transports[t]?.medianP50 ?? null));
  const before = median('before');
  const after = median('after');
  const colors = experiments.flatMap(() => transports.map((t) => TRANSPORT_COLORS[t]));
  const title = 'Class-wide experiments: the median student’s event age p50, before and after';
  const config = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'before',
          data: before,
          backgroundColor: colors.map((c) => withAlpha(c, 0.35)),
          borderColor: colors,
          borderWidth: 1,
        },
        { label: 'after', data: after, backgroundColor: colors, borderColor: colors, borderWidth: 1 },
      ],
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        `each over the last 10 s of every student page; after = 12 s later · ${experiments.length} experiment(s), e.g. ${formatValue(before[0] ?? null)} → ${formatValue(after[0] ?? null)} ms`,
      ]),
      scales: {
        x: categoryAxis('experiment · transport'),
        y: valueAxis('median event age p50', 'ms', [...before, ...after]),
      },
    },
  } satisfies ChartConfiguration<'bar', Value[]>;
  return { file: 'class-experiments.png', title, config: config as ChartConfiguration };
}
