/** HTTP capacity: polls per second (and server CPU per poll), the lab vs bare Fastify vs bare node:http. */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { categoryAxis, type ScaleOptions, valueAxis } from '../../../charts/axes.js';
import { baseOptions, type ChartSpec, finite, GREY, ORANGE, runLine, type Value } from '../../../charts/style.js';
import type { Summary } from '../../summary.js';
import { formatCount, formatRounds, formatValue } from '../table/format.js';

const POLLS_COLOR = GREY;
const CPU_COLOR = ORANGE;

/** `bare node:http, same body` → `bare node:http`. */
const withoutSameBody = (name: string): string => name.replace(/,\s*same body$/, '');

/** `/api/poll (bare Fastify, same body)` → `bare Fastify`. */
function routeName(route: string): string {
  return withoutSameBody(/\(([^)]*)\)/.exec(route)?.[1] ?? route);
}

export function capacityChart(summary: Summary): ChartSpec | null {
  const capacity = summary.capacity ?? [];
  const first = capacity[0];
  if (first === undefined) return null;
  const rows: { name: string; rps: Value; cpu: Value }[] = capacity.map((c) => ({
    name: routeName(c.route),
    rps: finite(c.requestsPerSec),
    cpu: finite(c.serverCpuUsPerRequest),
  }));
  const seen = new Set<string>();
  for (const c of capacity) {
    if (!c.baseline || seen.has(c.baseline.name)) continue;
    seen.add(c.baseline.name);
    rows.push({
      name: withoutSameBody(c.baseline.name),
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
  const title = withCpu
    ? 'Polls per second and CPU µs per poll: lab vs bare Fastify vs bare node:http'
    : 'Polls per second: lab vs bare Fastify vs bare node:http';
  const parts = [
    runLine(summary),
    `autocannon, ${formatValue(first.connections)} connections, ${formatRounds(first.rounds, first.durationS)}, same one-message body`,
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
        withCpu ? `${formatCount(r.rps)} polls/s · ${formatValue(r.cpu)} µs/poll` : `${formatCount(r.rps)} polls/s`,
      ]),
      datasets,
    },
    options: { ...baseOptions(title, parts), scales },
  };
  return { file: 'capacity.png', title, config: config as ChartConfiguration };
}
