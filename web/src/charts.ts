/**
 * chart.js for the dashboard, from npm and bundled (no CDN): only the pieces used are registered,
 * and every live chart runs without animation, updated in place by the render loop.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartDataset,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';
import { ms } from './format.js';
import type { AgePoint } from './lane.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
);

export const INK = '#1f2937';
export const MUTED = '#6b7280';
export const GRID = '#e5e7eb';
export const PAYLOAD_GREY = '#9ca3af';

Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.font.size = 11;
Chart.defaults.color = MUTED;
Chart.defaults.borderColor = GRID;

export { Chart };

/** Smallest age a log axis shows; younger ones are drawn on it. */
const LOG_FLOOR_MS = 0.05;

/** Ages as chart points: x = seconds before `now` (negative), y = age in ms. */
export function agePoints(series: readonly AgePoint[], now: number, log = false): { x: number; y: number }[] {
  return series.map((p) => ({ x: (p.at - now) / 1000, y: log ? Math.max(LOG_FLOOR_MS, p.age) : p.age }));
}

function isPowerOfTen(value: number | string): boolean {
  const exponent = Math.log10(Number(value));
  return Math.abs(exponent - Math.round(exponent)) < 1e-9;
}

/** Powers of ten only, so a log axis reads 0.1 ms · 1 ms · 10 ms · … */
export function logTick(value: number | string): string {
  return isPowerOfTen(value) ? ms(Number(value)) : '';
}

/** Grid lines of a log axis at the labelled ticks only; the minor ones make a grey wash. */
export const logGrid = {
  color: (ctx: { tick?: { value: number } }) =>
    ctx.tick !== undefined && isPowerOfTen(ctx.tick.value) ? GRID : 'transparent',
};

/** A scatter of event age over the last minute: one dataset per lane. */
export function ageChart(
  canvas: HTMLCanvasElement,
  datasets: ChartDataset<'scatter', { x: number; y: number }[]>[],
  options: { log: boolean; legend: boolean; windowS: number },
): Chart<'scatter', { x: number; y: number }[]> {
  return new Chart<'scatter', { x: number; y: number }[]>(canvas, {
    type: 'scatter',
    data: { datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      plugins: {
        legend: {
          display: options.legend,
          position: 'top',
          align: 'end',
          labels: { boxWidth: 8, boxHeight: 8, usePointStyle: true },
        },
        tooltip: {
          callbacks: {
            label: (ctx) =>
              `${ctx.dataset.label ?? ''}: ${ms(ctx.parsed.y)} old, ${(-(ctx.parsed.x ?? 0)).toFixed(1)} s ago`,
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          min: -options.windowS,
          max: 0,
          ticks: { stepSize: 10, callback: (v) => (Number(v) === 0 ? 'now' : `${-Number(v)} s`) },
          grid: { color: GRID },
        },
        y: options.log
          ? {
              type: 'logarithmic',
              min: 0.1,
              title: { display: true, text: 'event age (log)' },
              ticks: { callback: logTick, autoSkip: false },
              grid: logGrid,
            }
          : {
              type: 'linear',
              beginAtZero: true,
              ticks: { maxTicksLimit: 4, callback: (v) => ms(Number(v)) },
              grid: { color: GRID },
            },
      },
    },
  });
}
