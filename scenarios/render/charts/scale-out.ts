/**
 * The scale-out charts (summary.scaleOut, scenarios/scale-out/): deliveries per second by the
 * instance that served them, CPU per message (each instance per delivery, Redis per publish), and
 * the fault run's deliveries over time across the instance kill and the Redis restart.
 */
import type { ChartConfiguration } from 'chart.js';
import { categoryAxis, stacked, valueAxis } from '../../../charts/axes.js';
import { baseOptions, type ChartSpec, GREY, ORANGE, runLine, TRANSPORT_COLORS } from '../../../charts/style.js';
import { isTransportName } from '../../../contract/index.js';
import type { ScaleOutResult } from '../../scale-out/result.js';
import type { Summary } from '../../summary.js';
import { formatValue } from '../table/format.js';

/** One colour per instance (Okabe–Ito, none of them a transport's orange). */
const INSTANCE_COLORS = ['#0072B2', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#999999'];
const instanceColor = (i: number) => INSTANCE_COLORS[i % INSTANCE_COLORS.length] as string;
const stepLabel = (n: number) => `${n} instance${n === 1 ? '' : 's'}`;
const maxInstances = (r: ScaleOutResult) => Math.max(0, ...r.steps.map((s) => s.instances));

function loadLine(r: ScaleOutResult): string {
  return `${r.cores} cores shared by all (load average ${r.loadAverageAtStart[0] ?? '–'} at start): the total cannot grow past them`;
}

function throughputChart(summary: Summary, r: ScaleOutResult): ChartSpec {
  const title = 'Deliveries per second, by the instance that served them (same clients, same feed)';
  const perTransport = Object.values(r.settings.perTransport);
  const config = {
    type: 'bar',
    data: {
      labels: r.steps.map((s) => stepLabel(s.instances)),
      datasets: Array.from({ length: maxInstances(r) }, (_, i) => ({
        label: `i${i + 1}`,
        data: r.steps.map((s) => {
          const inst = s.perInstance.find((p) => p.name === `i${i + 1}`);
          return inst ? inst.deliveries / s.windowS : null;
        }),
        backgroundColor: instanceColor(i),
        borderColor: instanceColor(i),
      })),
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        `${perTransport.reduce((a, b) => a + b, 0)} clients (${Object.keys(r.settings.perTransport).length} transports) through HAProxy, no stickiness`,
        `${formatValue(r.settings.rate)} msg/s`,
        loadLine(r),
      ]),
      scales: {
        x: stacked(categoryAxis('lab instances behind the balancer')),
        y: stacked(valueAxis('deliveries per second', 'msg/s', [], { allowLog: false })),
      },
    },
  };
  return { file: 'throughput-per-instance.png', title, config: config as ChartConfiguration };
}

function costChart(summary: Summary, r: ScaleOutResult): ChartSpec {
  const title = 'CPU per message: each instance per delivery, Redis per publish';
  const config = {
    type: 'bar',
    data: {
      labels: r.steps.map((s) => stepLabel(s.instances)),
      datasets: [
        ...Array.from({ length: maxInstances(r) }, (_, i) => ({
          label: `server CPU per delivery, i${i + 1}`,
          data: r.steps.map((s) => s.perInstance.find((p) => p.name === `i${i + 1}`)?.cpuUsPerDelivery ?? null),
          backgroundColor: instanceColor(i),
          borderColor: instanceColor(i),
        })),
        {
          label: 'Redis CPU per published message',
          data: r.steps.map((s) => s.redisCpuUsPerPublished),
          backgroundColor: ORANGE,
          borderColor: ORANGE,
        },
      ],
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        'utime+stime from /proc over the measured window; ±10 ms tick resolution per reading',
        loadLine(r),
      ]),
      scales: {
        x: categoryAxis('lab instances behind the balancer'),
        y: valueAxis('CPU per message', 'µs', [], { allowLog: false }),
      },
    },
  };
  return { file: 'cpu-per-message.png', title, config: config as ChartConfiguration };
}

function faultChart(summary: Summary, r: ScaleOutResult): ChartSpec {
  const f = r.fault;
  const { bucketMs, counts } = f.timeline;
  const length = Math.max(0, ...Object.values(counts).map((row) => row.length));
  const title = `Fault run: ${f.killed} killed at ${formatValue(f.killAtS)} s, Redis restarted empty at ${formatValue(f.redisRestartAtS)} s`;
  const rows = Object.entries(f.perTransport);
  const config = {
    type: 'line',
    data: {
      labels: Array.from({ length }, (_, i) => ((i * bucketMs) / 1000).toFixed(1)),
      datasets: Object.entries(counts).map(([t, row]) => {
        const color = isTransportName(t) ? TRANSPORT_COLORS[t] : GREY;
        return {
          label: t,
          data: row.map((n) => n / (bucketMs / 1000)),
          borderColor: color,
          backgroundColor: color,
          pointRadius: 0,
          borderWidth: 2,
          stepped: true,
        };
      }),
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        `lost: ${rows.map(([t, x]) => `${t} ${x.lost}`).join(', ')}`,
        `duplicated: ${rows.map(([t, x]) => `${t} ${x.duplicates}`).join(', ')}`,
        'pauses: the ticker lease moving to a survivor (≤ 3 s), Redis away',
      ]),
      scales: {
        x: { ...categoryAxis('seconds into the run'), ticks: { maxTicksLimit: 13 } },
        y: valueAxis('deliveries per second, all clients of the transport', 'msg/s', [], { allowLog: false }),
      },
    },
  };
  return { file: 'fault-timeline.png', title, config: config as ChartConfiguration };
}

export function scaleOutCharts(summary: Summary): ChartSpec[] {
  const r = summary.scaleOut;
  if (!r) return [];
  const charts: ChartSpec[] = [];
  if (r.steps.length > 0) charts.push(throughputChart(summary, r), costChart(summary, r));
  charts.push(faultChart(summary, r));
  return charts;
}
