/**
 * The benchmark's charts (chart.js configs, plain data, drawn to PNG by render/png.ts and live in
 * report.html): every row's ratio — the spread of its rounds as a bar, the median as a dot, the
 * goal as a line mark — and each round's ratios beside the machine's load average.
 */
import { baseOptions, type ChartSpec, GREY, GRID, INK, ORANGE, TEXT, withAlpha } from '../../charts/style.js';
import type { BenchSummary } from './summary.js';

const GOOD = '#009E73';
const BAD = '#D55E00';

function subtitle(summary: BenchSummary): string[] {
  const m = summary.machine;
  return [
    `bench · ${summary.startedAt} · ${m.cpus} × ${m.cpuModel} · Node ${m.node}`,
    `load average at start ${m.loadavg.start.map((v) => v.toFixed(2)).join(' ')} · ${summary.rounds.length} interleaved rounds`,
  ];
}

export function ratioChart(summary: BenchSummary): ChartSpec {
  const rows = summary.rows;
  const labels = rows.map((r) => `${r.id}${r.decides ? '' : ' (info)'}`);
  const options = baseOptions('Lab ÷ bare baseline, per goal row', subtitle(summary));
  return {
    file: 'ratios.png',
    title: 'Lab ÷ bare baseline, per goal row',
    config: {
      type: 'bar',
      data: {
        labels,
        datasets: [
          {
            type: 'bar',
            label: 'spread of the rounds (min–max)',
            data: rows.map((r) => [r.ratio.min, r.ratio.max]) as unknown as number[],
            backgroundColor: rows.map((r) => withAlpha(r.decides ? (r.pass ? GOOD : BAD) : GREY, 0.35)),
            borderColor: rows.map((r) => (r.decides ? (r.pass ? GOOD : BAD) : GREY)),
            borderWidth: 1,
            barPercentage: 0.6,
          },
          {
            type: 'line',
            label: 'median ratio',
            data: rows.map((r) => r.ratio.median),
            showLine: false,
            pointRadius: 6,
            pointStyle: 'circle',
            backgroundColor: INK,
            borderColor: INK,
          },
          {
            type: 'line',
            label: 'goal',
            data: rows.map((r) => r.goal.value),
            showLine: false,
            pointRadius: 14,
            pointStyle: 'line',
            borderWidth: 3,
            backgroundColor: ORANGE,
            borderColor: ORANGE,
          },
        ],
      },
      options: {
        ...options,
        indexAxis: 'x',
        scales: {
          x: { ticks: { color: TEXT, autoSkip: false, maxRotation: 50, minRotation: 30 }, grid: { color: GRID } },
          y: {
            title: { display: true, text: 'lab ÷ baseline (1 = as cheap/fast as bare Node)', color: TEXT },
            ticks: { color: TEXT },
            grid: { color: GRID },
            min: 0,
          },
        },
      },
    },
  };
}

const PALETTE = ['#0072B2', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#E69F00', '#000000', '#999999', '#F0E442'];

export function roundsChart(summary: BenchSummary): ChartSpec {
  const labels = summary.rounds.map((r) => `round ${r.round}`);
  const deciding = summary.rows.filter((r) => r.decides);
  const options = baseOptions('Each round: the ratios and the machine’s load', subtitle(summary));
  return {
    file: 'rounds.png',
    title: 'Each round: the ratios and the machine’s load',
    config: {
      type: 'line',
      data: {
        labels,
        datasets: [
          ...deciding.map((r, i) => ({
            label: r.id,
            data: r.ratios,
            borderColor: PALETTE[i % PALETTE.length],
            backgroundColor: PALETTE[i % PALETTE.length],
            yAxisID: 'y',
            tension: 0,
          })),
          {
            label: 'load average, 1 min',
            data: summary.rounds.map((r) => r.loadavg[0] ?? null),
            borderColor: GREY,
            backgroundColor: GREY,
            borderDash: [6, 4],
            yAxisID: 'load',
          },
        ],
      },
      options: {
        ...options,
        scales: {
          x: { ticks: { color: TEXT }, grid: { color: GRID } },
          y: {
            title: { display: true, text: 'lab ÷ baseline', color: TEXT },
            ticks: { color: TEXT },
            grid: { color: GRID },
          },
          load: {
            position: 'right',
            title: { display: true, text: 'load average', color: GREY },
            ticks: { color: GREY },
            grid: { display: false },
            min: 0,
          },
        },
      },
    },
  };
}

export function benchCharts(summary: BenchSummary): ChartSpec[] {
  return [ratioChart(summary), roundsChart(summary)];
}
