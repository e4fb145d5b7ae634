/**
 * chart.js configurations drawn from a `Summary` alone (docs/architecture.md). Pure: the same configs
 * are rendered to PNG in Node (png.ts) and drawn live by report.html, so they hold plain data
 * only — no callbacks — and survive `JSON.stringify`.
 */

import { classExperimentsChart, classSpreadChart } from '../../../charts/class.js';
import { type ChartSpec, finite } from '../../../charts/style.js';
import type { Summary } from '../../summary.js';
import { presentTransports } from '../table/order.js';
import { capacityChart } from './capacity.js';
import { classCapacityChart, classCostChart } from './class-capacity.js';
import { groupBytesChart, groupLossChart } from './groups.js';
import { bytesChart, latencyChart, requestsChart } from './per-transport.js';
import { protocolCharts } from './protocols.js';
import { scaleOutCharts } from './scale-out.js';
import { stormCharts } from './storm.js';
import { sweepChart } from './sweep.js';
import { SWEEP_METRICS } from './sweep-metrics.js';
import { timelineChart } from './timeline.js';

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
  const framings = groupBytesChart(summary);
  if (framings) charts.push(framings);
  const capacity = capacityChart(summary);
  if (capacity) charts.push(capacity);
  for (const chart of [classSpreadChart(summary), classExperimentsChart(summary)]) if (chart) charts.push(chart);
  for (const chart of [classCapacityChart(summary), classCostChart(summary)]) if (chart) charts.push(chart);
  charts.push(...protocolCharts(summary));
  charts.push(...scaleOutCharts(summary));
  charts.push(...stormCharts(summary));
  return charts;
}
