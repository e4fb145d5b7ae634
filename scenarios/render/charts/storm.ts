/**
 * The storm charts (summary.storm, scenarios/storm/): the recovery curve — clients working again
 * after each drop, seconds since the drop, against the limit — and the server's RSS and open file
 * descriptors over the whole run, against the memory bound.
 */
import type { ChartConfiguration } from 'chart.js';
import { numericAxisLook } from '../../../charts/axes.js';
import { baseOptions, type ChartSpec, GREY, ORANGE, runLine } from '../../../charts/style.js';
import type { StormFigures } from '../../storm/result.js';
import type { Summary } from '../../summary.js';

const BLUE = '#0072B2';
const RED = '#D55E00';
const PURPLE = '#CC79A7';
const DROP_COLORS = { kill: BLUE, proxy: ORANGE } as const;
const DROP_LABELS = { kill: 'server SIGKILL + restart', proxy: 'proxies reset every connection' } as const;
const MIB = 2 ** 20;

type Point = { x: number; y: number | null };

function line(label: string, color: string, data: Point[], extra: Record<string, unknown> = {}) {
  return {
    label,
    data,
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    pointRadius: 0,
    parsing: false,
    ...extra,
  };
}

function linear(title: string, extra: Record<string, unknown> = {}) {
  return { type: 'linear', ...numericAxisLook(title), ...extra };
}

function loadLine(r: StormFigures): string {
  return `load average at start ${r.loadAtStart.map((l) => l.toFixed(2)).join(' / ')} (2 cores shared by the server and the client processes)`;
}

function recoveryChart(summary: Summary, r: StormFigures): ChartSpec {
  const { clients, backWithinMs, processes, rate, seed } = r.settings;
  const limitS = backWithinMs / 1000;
  const title = 'Recovery: clients working again after each drop';
  const xs = r.drops.flatMap((d) => d.curve.map((p) => p.x));
  const lo = Math.floor(Math.min(0, ...xs));
  const hi = Math.ceil(Math.max(limitS, ...xs));
  const config = {
    type: 'line',
    data: {
      datasets: [
        ...r.drops.map((d) =>
          line(
            `${DROP_LABELS[d.fault]}: ${d.backWithinLimit}/${clients} back within ${limitS} s`,
            DROP_COLORS[d.fault],
            d.curve,
          ),
        ),
        line(
          `${limitS} s limit`,
          RED,
          [
            { x: limitS, y: 0 },
            { x: limitS, y: clients },
          ],
          { borderDash: [6, 4], borderWidth: 1.5 },
        ),
        line(
          `all ${clients} clients`,
          GREY,
          [
            { x: lo, y: clients },
            { x: hi, y: clients },
          ],
          { borderDash: [3, 3], borderWidth: 1 },
        ),
      ],
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        `${clients} clients in ${processes} client processes, ${rate} msg/s, seed ${seed}`,
        'working = up, and reached by the server since the drop (a message or a reset notice)',
        loadLine(r),
      ]),
      scales: {
        x: linear('seconds since the drop', { min: lo, max: hi }),
        y: linear('clients working', { beginAtZero: true, grace: '5%' }),
      },
    },
  };
  return { file: 'recovery.png', title, config: config as unknown as ChartConfiguration };
}

function memoryChart(summary: Summary, r: StormFigures): ChartSpec {
  const title = 'Server RSS and open file descriptors over the whole run';
  // null while no server process ran (after the SIGKILL, before the new one): a gap, not a line across.
  const rss = r.samples.map((s) => ({ x: s.t, y: s.serverRssBytes === null ? null : s.serverRssBytes / MIB }));
  const fds = r.samples.map((s) => ({ x: s.t, y: s.serverFds }));
  const ts = r.samples.map((s) => s.t);
  const lo = Math.floor(Math.min(...ts));
  const hi = Math.ceil(Math.max(...ts));
  const bound = r.rssBoundBytes / MIB;
  const config = {
    type: 'line',
    data: {
      datasets: [
        line('server RSS (MiB, left)', BLUE, rss),
        line('server open fds (right)', PURPLE, fds, { yAxisID: 'y2' }),
        line(
          `RSS bound ${bound.toFixed(0)} MiB (${r.settings.rssFactor} × steady)`,
          RED,
          [
            { x: lo, y: bound },
            { x: hi, y: bound },
          ],
          { borderDash: [3, 3], borderWidth: 1.5 },
        ),
        ...r.drops.map((d) =>
          line(
            `${DROP_LABELS[d.fault]} at ${d.atS.toFixed(1)} s`,
            DROP_COLORS[d.fault],
            [
              { x: d.atS, y: 0 },
              { x: d.atS, y: bound },
            ],
            { borderDash: [6, 4], borderWidth: 1 },
          ),
        ),
      ],
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        '/proc of the server process every 250 ms; a gap: the server was dead (after the SIGKILL, before the new one)',
        loadLine(r),
      ]),
      scales: {
        x: linear('seconds since the start', { min: lo, max: hi }),
        y: linear('MiB', { beginAtZero: true }),
        y2: linear('open fds', { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } }),
      },
    },
  };
  return { file: 'server-memory.png', title, config: config as unknown as ChartConfiguration };
}

export function stormCharts(summary: Summary): ChartSpec[] {
  const r = summary.storm;
  if (!r) return [];
  const charts: ChartSpec[] = [];
  if (r.drops.length > 0) charts.push(recoveryChart(summary, r));
  if (r.samples.length > 0) charts.push(memoryChart(summary, r));
  return charts;
}
