/**
 * Charts and an offline report for the reliability runs (soak, storm, torture): line charts of
 * figures over time drawn with the scenarios' PNG renderer, a summary.json beside them, and a
 * report.html that shows the charts and the figures with no network at all.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { ChartConfiguration } from 'chart.js';
import { baseOptions, GREY, INK, ORANGE } from '../../charts/style.js';
import { escapeHtml } from '../../scenarios/render/html.js';
import { renderPng } from '../../scenarios/render/png.js';

export interface Series {
  label: string;
  color: string;
  points: { x: number; y: number }[];
  /** Which y axis: 'y' (left, default) or 'y2' (right). */
  axis?: 'y' | 'y2';
  dashed?: boolean;
}

export interface LineChart {
  file: string;
  title: string;
  subtitle: string[];
  xTitle: string;
  yTitle: string;
  y2Title?: string;
  series: Series[];
  /** Horizontal guide lines (a bound, a target). */
  guides?: { label: string; y: number; axis?: 'y' | 'y2' }[];
}

export const COLORS = {
  ink: INK,
  grey: GREY,
  orange: ORANGE,
  blue: '#0072B2',
  green: '#009E73',
  red: '#D55E00',
  purple: '#CC79A7',
};

export function lineConfig(chart: LineChart): ChartConfiguration {
  const datasets = chart.series.map((s) => ({
    label: s.label,
    data: s.points,
    borderColor: s.color,
    backgroundColor: s.color,
    borderWidth: 2,
    pointRadius: 0,
    borderDash: s.dashed ? [6, 4] : [],
    yAxisID: s.axis ?? 'y',
    parsing: false as const,
  }));
  for (const guide of chart.guides ?? []) {
    const xs = chart.series.flatMap((s) => s.points.map((p) => p.x));
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    datasets.push({
      label: guide.label,
      data: [
        { x: lo, y: guide.y },
        { x: hi, y: guide.y },
      ],
      borderColor: COLORS.red,
      backgroundColor: COLORS.red,
      borderWidth: 1.5,
      pointRadius: 0,
      borderDash: [3, 3],
      yAxisID: guide.axis ?? 'y',
      parsing: false as const,
    });
  }
  const scales: Record<string, unknown> = {
    x: { type: 'linear', title: { display: true, text: chart.xTitle } },
    y: { type: 'linear', beginAtZero: true, title: { display: true, text: chart.yTitle } },
  };
  if (chart.y2Title) {
    scales.y2 = {
      type: 'linear',
      position: 'right',
      beginAtZero: true,
      title: { display: true, text: chart.y2Title },
      grid: { drawOnChartArea: false },
    };
  }
  const options = baseOptions(chart.title, chart.subtitle);
  return { type: 'line', data: { datasets }, options: { ...options, scales } } as unknown as ChartConfiguration;
}

export interface ReportFigure {
  name: string;
  value: string;
  pass?: boolean;
}

/** Writes summary.json, one PNG per chart and report.html into `dir`. */
export async function writeReport(
  dir: string,
  title: string,
  intro: string,
  summary: unknown,
  figures: ReportFigure[],
  charts: LineChart[],
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  const images: string[] = [];
  for (const chart of charts) {
    const png = await renderPng(lineConfig(chart), { width: 1100, height: 480 });
    writeFileSync(`${dir}/${chart.file}`, png);
    images.push(
      `<figure><img alt="${escapeHtml(chart.title)}" src="data:image/png;base64,${png.toString('base64')}" width="1100" height="480"><figcaption>${escapeHtml(chart.title)} (${escapeHtml(chart.file)})</figcaption></figure>`,
    );
  }
  const rows = figures
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.name)}</td><td>${escapeHtml(f.value)}</td><td>${f.pass === undefined ? '' : f.pass ? '✓ pass' : '✗ FAIL'}</td></tr>`,
    )
    .join('\n');
  writeFileSync(
    `${dir}/report.html`,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1140px;margin:2em auto;color:#1f2937}table{border-collapse:collapse}td{border-bottom:1px solid #e5e7eb;padding:4px 12px}img{max-width:100%}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(intro)}</p><table>${rows}</table>${images.join('\n')}</body></html>\n`,
  );
}

/** Terminal table of the figures. */
export function printFigures(figures: ReportFigure[]): void {
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) {
    const mark = f.pass === undefined ? ' ' : f.pass ? '✓' : '✗';
    console.log(`${mark} ${f.name.padEnd(width)}  ${f.value}`);
  }
}
