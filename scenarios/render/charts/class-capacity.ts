/**
 * The classroom scenario's verdict drawn (scenarios/class-capacity.ts): each transport's p99 event
 * age above its own floor as the class grows, against the budget line; and what the class costs the
 * server. A short poll's floor is its interval (it waits for its next poll by design), so all five
 * lanes share one budget line.
 */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { categoryAxis, valueAxis } from '../../../charts/axes.js';
import { baseOptions, type ChartSpec, ORANGE, runLine, TRANSPORT_COLORS, type Value } from '../../../charts/style.js';
import { TRANSPORTS } from '../../../contract/index.js';
import type { Summary } from '../../summary.js';
import { formatValue } from '../table/format.js';

/** A p99 at or under its floor is drawn here (a log axis has no zero). */
const FLOOR_MS = 0.1;

export function classCapacityChart(summary: Summary): ChartSpec | null {
  const capacity = summary.classCapacity;
  if (!capacity || capacity.verdicts.length === 0) return null;
  const labels = capacity.verdicts.map((v) => `${v.pages}${v.pass ? '' : ' ✗'}`);
  const transports = TRANSPORTS.filter((t) => capacity.verdicts.some((v) => v.lanes[t] !== undefined));
  const above = (t: (typeof TRANSPORTS)[number]): Value[] =>
    capacity.verdicts.map((v) => {
      const lane = v.lanes[t];
      if (!lane || !Number.isFinite(lane.p99)) return null;
      return Math.max(FLOOR_MS, lane.p99 - (lane.budgetMs - capacity.budgetMs));
    });
  const datasets: ChartDataset<'line', Value[]>[] = transports.map((t) => ({
    label: t,
    data: above(t),
    borderColor: TRANSPORT_COLORS[t],
    backgroundColor: TRANSPORT_COLORS[t],
    pointRadius: 4,
    borderWidth: 2,
  }));
  datasets.push({
    label: `budget: ${capacity.budgetMs} ms above the floor`,
    data: capacity.verdicts.map(() => capacity.budgetMs),
    borderColor: ORANGE,
    backgroundColor: ORANGE,
    borderDash: [6, 4],
    pointRadius: 0,
    borderWidth: 2,
  });
  const values = datasets.flatMap((d) => d.data as Value[]);
  const largest = capacity.largestClass;
  const title = `Class size vs every lane's tail: the largest class within budget is ${largest ?? 'none'} (of ${capacity.triedUpTo} tried)`;
  const config = {
    type: 'line',
    data: { labels, datasets },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        "p99 event age minus the transport's own floor (a short poll's is 0.99 × its interval, the others' 0)",
        '✗ = a size over budget (a lane over the line, a loss, a failed report or a stats stream that fell behind)',
        'the simulated pages share the two cores with the server: a lower bound for the server alone',
      ]),
      scales: {
        x: categoryAxis('student pages (5 lanes + a stats stream + a report every 2 s each)'),
        y: valueAxis('p99 above the floor', 'ms', values),
      },
    },
  } satisfies ChartConfiguration<'line', Value[]>;
  return { file: 'class-capacity.png', title, config: config as unknown as ChartConfiguration };
}

export function classCostChart(summary: Summary): ChartSpec | null {
  const capacity = summary.classCapacity;
  if (!capacity || capacity.verdicts.length === 0) return null;
  const share = capacity.verdicts.map((v) => 100 * v.serverCpuShare);
  const perPage = capacity.verdicts.map((v) => v.serverCpuMsPerPagePerS);
  const last = capacity.verdicts.at(-1);
  const title = 'What a class costs the server: CPU over the window, share of one core';
  const config = {
    type: 'bar',
    data: {
      labels: capacity.verdicts.map((v) => String(v.pages)),
      datasets: [{ label: 'server CPU, % of one core', data: share, backgroundColor: ORANGE, borderColor: ORANGE }],
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        `per page: ${perPage.map((v, i) => `${capacity.verdicts[i]?.pages} → ${formatValue(v)} ms/s`).join(', ')}`,
        last
          ? `at ${last.pages} pages the server used ${formatValue(100 * last.serverCpuShare)} % of a core; the machine has ${summary.machine.cpus}`
          : '',
      ]),
      scales: {
        x: categoryAxis('student pages'),
        y: valueAxis('server CPU', '% of one core', share, { allowLog: false }),
      },
    },
  } satisfies ChartConfiguration<'bar', Value[]>;
  return { file: 'class-cost.png', title, config: config as unknown as ChartConfiguration };
}
