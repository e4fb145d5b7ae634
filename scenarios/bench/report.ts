/**
 * Writes a benchmark's results folder like a scenario's (scenarios/output.ts): summary.json, the
 * PNG charts and an offline report.html, with the scenario report's style, table and chart
 * loader (scenarios/render/html.ts), and `results/bench/latest.json`.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { folderName } from '../output.js';
import {
  escapeHtml,
  loadChartJsBundle,
  loaderScript,
  STYLE,
  scriptJson,
  scriptText,
  tableHtml,
} from '../render/html.js';
import { renderPng } from '../render/png.js';
import { PNG_SIZE } from '../render/write.js';
import { benchCharts } from './charts.js';
import type { BenchSummary } from './summary.js';
import { benchTables, verdictLine } from './tables.js';

export function renderBenchHtml(summary: BenchSummary, chartJsBundle: string): string {
  const charts = benchCharts(summary);
  const figures = charts
    .map(
      (c, i) =>
        `<figure><div class="chart-box"><canvas id="chart-${i}" role="img" aria-label="${escapeHtml(c.title)}"></canvas></div></figure>`,
    )
    .join('\n');
  const verdict = verdictLine(summary);
  const allMet = summary.rows.filter((r) => r.decides).every((r) => r.pass);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>bench — transport lab report</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>bench</h1>
<p>${escapeHtml(summary.description)}</p>
<p class="meta">started ${escapeHtml(summary.startedAt)} · ${(summary.durationMs / 1000).toFixed(0)} s · <code>${escapeHtml(summary.command)}</code></p>
<p class="${allMet ? 'good' : 'bad'}">${escapeHtml(verdict)}</p>
</header>

<h2>Results</h2>
${benchTables(summary).map(tableHtml).join('\n')}

<h2>Charts</h2>
<noscript><p class="bad">The charts are drawn by JavaScript; the same charts are saved as PNG files beside this report.</p></noscript>
<section class="charts">
${figures}
</section>

<h2>Parameters</h2>
<pre>${escapeHtml(JSON.stringify(summary.params, null, 2))}</pre>

<script type="application/json" id="chart-configs">${scriptJson(charts.map((c) => ({ file: c.file, title: c.title, config: c.config })))}</script>
<script>${scriptText(chartJsBundle)}</script>
<script>${scriptText(loaderScript())}</script>
</body>
</html>
`;
}

/** summary.json (unless `summary: false`, for a re-render), the PNGs and report.html into `dir`. */
export async function writeBenchReport(dir: string, summary: BenchSummary, writeSummary = true): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const write = async (name: string, data: string | Buffer) => {
    await writeFile(join(dir, name), data);
    written.push(join(dir, name));
  };
  if (writeSummary) await write('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  for (const chart of benchCharts(summary)) await write(chart.file, await renderPng(chart.config, PNG_SIZE));
  await write('report.html', renderBenchHtml(summary, await loadChartJsBundle()));
  return written;
}

export async function writeBenchResults(summary: BenchSummary, resultsDir: string): Promise<string> {
  const benchDir = join(resultsDir, 'bench');
  let name = folderName(summary.startedAt);
  for (let n = 2; existsSync(join(benchDir, name)); n++) name = `${folderName(summary.startedAt)}-${n}`;
  const dir = join(benchDir, name);
  await writeBenchReport(dir, summary);
  const latest = {
    scenario: 'bench',
    timestamp: name,
    startedAt: summary.startedAt,
    summary: `${name}/summary.json`,
    report: `${name}/report.html`,
  };
  await writeFile(join(benchDir, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
  return dir;
}
