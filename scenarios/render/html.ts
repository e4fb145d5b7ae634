/**
 * report.html: one offline, self-contained page per run (scenarios/README.md). chart.js is inlined and
 * draws the very configs the PNGs were drawn from; a Content-Security-Policy forbids every
 * network load, so the page works from a USB stick and leaks nothing.
 *
 * `renderHtml` is pure: the chart.js bundle comes in as text (`loadChartJsBundle` reads it).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { logTickLabel } from '../../charts/axes.js';
import { type ChartSpec, TRANSPORT_COLORS } from '../../charts/style.js';
import { isTransportName } from '../../contract/index.js';
import type { Summary } from '../summary.js';
import { ERROR_BARS_PLUGIN_SOURCE } from './charts/error-bars.js';
import { formatBytes, formatCount, formatValue } from './table/format.js';
import { summaryTables } from './table/index.js';
import { publisherLine, runnerLine, serverLine } from './table/lines.js';
import type { TableModel } from './table/model.js';

/** Reads chart.js's UMD bundle (it registers every controller, scale and plugin itself). */
export async function loadChartJsBundle(): Promise<string> {
  // The package's `exports` hide dist/chart.umd.js from resolution; it sits beside the main file.
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFile(join(dirname(main), 'chart.umd.js'), 'utf8');
}

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' } as const;

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c as keyof typeof HTML_ESCAPES]);
}

/** JSON that can sit inside a <script> element: no `</script>`, no `<!--`, no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script text cannot hold `</script` or `<!--`; both only ever occur in strings or comments. */
export function scriptText(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}

export function tableHtml(model: TableModel): string {
  const head = model.columns.map((c) => `<th class="${c.align}">${escapeHtml(c.label)}</th>`).join('');
  const rows = model.rows
    .map((row) => {
      const cells = model.columns.map((c, i) => {
        const cell = row[i] ?? { text: '' };
        const classes = [c.align, cell.tone ?? ''].filter(Boolean).join(' ');
        const swatch =
          c.label === 'transport' && isTransportName(cell.text)
            ? `<span class="swatch" style="background:${TRANSPORT_COLORS[cell.text]}"></span>`
            : '';
        return `<td class="${classes}">${swatch}${escapeHtml(cell.text)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const note = model.note ? `\n<p class="note">${escapeHtml(model.note)}</p>` : '';
  return `<h3>${escapeHtml(model.title)}</h3>${note}\n<div class="scroll"><table><thead><tr>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody></table></div>`;
}

function expectationsHtml(summary: Summary): string {
  if (summary.expectations.length === 0) return '<p class="dim">This scenario states no expectations.</p>';
  const items = summary.expectations
    .map((e) => {
      const mark = e.pass ? '<span class="good mark">✓</span>' : '<span class="bad mark">✗</span>';
      const detail = e.detail ? ` <span class="dim">— ${escapeHtml(e.detail)}</span>` : '';
      return `<li>${mark} ${escapeHtml(e.text)}${detail}</li>`;
    })
    .join('\n');
  const passed = summary.expectations.filter((e) => e.pass).length;
  const all = passed === summary.expectations.length;
  return `<ul class="expectations">\n${items}\n</ul>\n<p class="${all ? 'good' : 'bad'}">${passed}/${summary.expectations.length} expectations met</p>`;
}

function phasesHtml(summary: Summary): string {
  if (summary.phases.length === 0) return '';
  const rows = summary.phases
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.name)}</td><td class="right">${formatValue((p.endMs - p.startMs) / 1000)}</td><td class="right">${formatCount(p.cpuMs)}</td><td class="right">${escapeHtml(formatBytes(p.rssMaxBytes))}</td></tr>`,
    )
    .join('\n');
  return `<h3>Server phases</h3>\n<div class="scroll"><table><thead><tr><th class="left">phase</th><th class="right">duration s</th><th class="right">CPU ms</th><th class="right">RSS max</th></tr></thead>\n<tbody>\n${rows}\n</tbody></table></div>`;
}

function machineHtml(summary: Summary): string {
  const m = summary.machine;
  const rows: [string, string][] = [
    ['CPU', `${formatCount(m.cpus)} × ${m.cpuModel}`],
    ['memory', formatBytes(m.totalMemBytes)],
    ['Node.js', m.node],
    ['platform', m.platform],
    ['latency clock', summary.clock],
  ];
  return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

export const STYLE = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Liberation Sans", "DejaVu Sans", sans-serif; color: #1f2937; margin: 0 auto; max-width: 1240px; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin-top: 36px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
h3 { margin: 22px 0 6px; font-size: 16px; }
.note { margin: 0 0 6px; color: #6b7280; font-size: 13px; max-width: 1000px; }
.meta, .dim { color: #6b7280; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e5e7eb; white-space: nowrap; }
th { background: #f9fafb; font-weight: 600; }
.left { text-align: left; } .right { text-align: right; }
.good { color: #047857; } .bad { color: #b91c1c; font-weight: 600; } .warn { color: #b45309; font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.expectations { list-style: none; padding-left: 0; } .expectations li { margin: 4px 0; }
.mark { display: inline-block; width: 1.2em; font-weight: 700; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 18px; }
figure { margin: 0; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px; }
.chart-box { position: relative; height: 420px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; } dt { color: #6b7280; } dd { margin: 0; }
pre { background: #f9fafb; border: 1px solid #e5e7eb; border-radius: 6px; padding: 12px; overflow-x: auto; }
`;

/** Draws every chart from its embedded config; log axes get the same 1–2–5 labels as the PNGs. */
export function loaderScript(): string {
  return `(function () {
  'use strict';
  var logTickLabel = ${logTickLabel.toString()};
  Chart.register(${ERROR_BARS_PLUGIN_SOURCE});
  var specs = JSON.parse(document.getElementById('chart-configs').textContent);
  specs.forEach(function (spec, i) {
    var config = spec.config;
    config.options = Object.assign({}, config.options, { responsive: true, maintainAspectRatio: false, animation: false });
    var scales = config.options.scales || {};
    Object.keys(scales).forEach(function (key) {
      var scale = scales[key];
      if (scale && scale.type === 'logarithmic') {
        scale.ticks = Object.assign({}, scale.ticks, { callback: logTickLabel, autoSkip: false, maxRotation: 0 });
      }
    });
    new Chart(document.getElementById('chart-' + i), config);
  });
})();`;
}

/**
 * The report page. `chartJsBundle` is the text of chart.js's UMD bundle; the page references
 * nothing outside itself.
 */
export function renderHtml(summary: Summary, charts: ChartSpec[], chartJsBundle: string): string {
  const figures = charts
    .map(
      (c, i) =>
        `<figure><div class="chart-box"><canvas id="chart-${i}" role="img" aria-label="${escapeHtml(c.title)}"></canvas></div></figure>`,
    )
    .join('\n');
  const sweep = summary.sweep
    ? ` · sweep over ${escapeHtml(summary.sweep.parameter)} (${escapeHtml(summary.sweep.unit)}), ${summary.sweep.points.length} points`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(summary.scenario)} — transport lab report</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(summary.scenario)}</h1>
<p>${escapeHtml(summary.description)}</p>
<p class="meta">started ${escapeHtml(summary.startedAt)} · ${formatValue(summary.durationMs / 1000)} s${sweep}</p>
</header>

<h2>Expectations</h2>
${expectationsHtml(summary)}

<h2>Results</h2>
${summaryTables(summary).map(tableHtml).join('\n')}
<p>${escapeHtml(serverLine(summary))}</p>${summary.runner ? `\n<p>${escapeHtml(runnerLine(summary))}</p>` : ''}${summary.publisher ? `\n<p${summary.publisher.failed > 0 ? ' class="bad"' : ''}>${escapeHtml(publisherLine(summary))}</p>` : ''}
${phasesHtml(summary)}

<h2>Charts</h2>
<noscript><p class="bad">The charts are drawn by JavaScript; the same charts are saved as PNG files beside this report.</p></noscript>
<section class="charts">
${figures}
</section>

<h2>Parameters</h2>
<pre>${escapeHtml(JSON.stringify(summary.params, null, 2))}</pre>

<h2>Machine</h2>
${machineHtml(summary)}

<script type="application/json" id="chart-configs">${scriptJson(charts.map((c) => ({ file: c.file, title: c.title, config: c.config })))}</script>
<script>${scriptText(chartJsBundle)}</script>
<script>${scriptText(loaderScript())}</script>
</body>
</html>
`;
}
