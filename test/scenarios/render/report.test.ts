/** report.html (scenarios/render/html.ts), the results folder (write.ts) and re-rendering (rerender.ts). */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChartConfiguration } from 'chart.js';
import { describe, expect, it } from 'vitest';
import { TRANSPORT_COLORS } from '../../../charts/style.js';
import { at } from '../../../contract/present.js';
import { chartConfigs } from '../../../scenarios/render/charts/index.js';
import { loadChartJsBundle, renderHtml } from '../../../scenarios/render/html.js';
import { findRuns, rerender } from '../../../scenarios/render/rerender.js';
import { writeReport } from '../../../scenarios/render/write.js';
import type { Summary } from '../../../scenarios/summary.js';
import { validateSummary } from '../../../scenarios/validate.js';
import { fanOutSummary, plainSummary, reconnectSummary, sweepSummary } from '../../fixtures/summaries.js';
import { view } from './helpers.js';

describe('renderHtml', async () => {
  const bundle = await loadChartJsBundle();
  const charts = chartConfigs(plainSummary);
  const html = renderHtml(plainSummary, charts, bundle);

  it('inlines chart.js and references nothing outside the page', () => {
    expect(bundle).toMatch(/^\/\*!\s*\n\s*\* Chart\.js v4/);
    expect(html).toContain(bundle);
    const own = html.replace(bundle, '');
    expect(own).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\b(?:src|href|action|srcset)\s*=/i);
    expect(own).not.toMatch(/<link\b|@import|url\(/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
  });

  it('embeds the chart configs, drawn by a loader that runs', () => {
    const json = /<script type="application\/json" id="chart-configs">([\s\S]*?)<\/script>/.exec(html)?.[1] as string;
    const specs = JSON.parse(json) as { file: string; config: ChartConfiguration }[];
    expect(specs.map((s) => s.config)).toEqual(charts.map((c) => c.config));
    for (let i = 0; i < charts.length; i += 1) expect(html).toContain(`<canvas id="chart-${i}"`);

    // Run the loader against a stand-in document and Chart.
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => at(m, 1, 'script'));
    const loader = at(scripts, -1, 'scripts');
    const made: { canvas: unknown; config: ChartConfiguration }[] = [];
    const document = { getElementById: (id: string) => (id === 'chart-configs' ? { textContent: json } : { id }) };
    const registered: { id?: string }[] = [];
    class Chart {
      static register(plugin: { id?: string }) {
        registered.push(plugin);
      }
      constructor(canvas: unknown, config: ChartConfiguration) {
        made.push({ canvas, config });
      }
    }
    new Function('document', 'Chart', loader)(document, Chart);
    // The error bars of a repeated run (scenarios/render/charts/error-bars.ts) are drawn by a plugin.
    expect(registered.map((p) => p.id)).toEqual(['errorBars']);
    expect(made.map((m) => m.canvas)).toEqual(charts.map((_, i) => ({ id: `chart-${i}` })));
    const { options } = view(at(made, 0, 'charts made').config);
    const callback = options.scales.y.ticks?.callback as (value: number) => string;
    expect([1, 3, 500].map(callback)).toEqual(['1', '', '500']);
    expect(options).toMatchObject({ responsive: true, maintainAspectRatio: false });
  });

  it('shows the tables, the expectations, params, machine, server and clock', () => {
    expect(html).toContain('<td class="right">2,400/2,400</td>');
    expect(html).toContain(`<span class="swatch" style="background:${TRANSPORT_COLORS.sse}"></span>sse</td>`);
    expect(html).toMatch(
      /<span class="bad mark">✗<\/span> no duplicates on any transport <span class="dim">— long-poll: 2 duplicates<\/span>/,
    );
    expect(html).toContain('4/5 expectations met');
    expect(html).toContain('&quot;clientsPerTransport&quot;: 20');
    expect(html).toContain('Intel(R) Xeon(R) CPU @ 2.20GHz');
    expect(html).toContain('RSS max 92 MiB');
    expect(html).toContain(plainSummary.clock);
  });

  it('escapes everything that comes from the summary', () => {
    const evil = '<script>alert("pwned")</script>';
    const summary: Summary = {
      ...plainSummary,
      scenario: `x${evil}`,
      description: evil,
      params: { note: `</script>${evil}` },
      expectations: [{ text: evil, pass: false, detail: `<img src=x onerror=alert(1)>` }],
    };
    const page = renderHtml(summary, chartConfigs(summary), bundle);
    expect(page).not.toContain('alert("pwned")</script>');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    // Exactly the page's own three scripts: configs, chart.js, loader.
    expect(page.match(/<script/gi)?.length).toBe(3);
    expect(page.match(/<\/script/gi)?.length).toBe(3);
    // The scenario name reaches the chart subtitles through the embedded JSON, intact.
    const json = /id="chart-configs">([\s\S]*?)<\/script>/.exec(page)?.[1] as string;
    expect(view(JSON.parse(json)[0].config).options.plugins.subtitle.text).toContain(`x${evil}`);
  });
});

describe('writeReport', () => {
  it('writes summary.json, one PNG per chart and report.html', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'render-'));
    try {
      const paths = await writeReport(join(dir, 'sweep', 'run'), sweepSummary);
      const names = paths.map((p) => p.slice(join(dir, 'sweep', 'run').length + 1));
      expect(names).toEqual(['summary.json', ...chartConfigs(sweepSummary).map((c) => c.file), 'report.html']);
      expect((await readdir(join(dir, 'sweep', 'run'))).sort()).toEqual([...names].sort());
      expect(JSON.parse(await readFile(at(paths, 0), 'utf8'))).toEqual(sweepSummary);
      const png = await readFile(at(paths, 1));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(await readFile(at(paths, -1), 'utf8')).toMatch(/^<!doctype html>/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('the fixtures', () => {
  it('are valid summaries, as the runner writes them', () => {
    for (const summary of [plainSummary, sweepSummary, reconnectSummary, fanOutSummary])
      expect(validateSummary(JSON.parse(JSON.stringify(summary))), summary.scenario).toEqual([]);
  });
});

describe('writeReport and rerender', () => {
  it('can leave summary.json alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'render-'));
    try {
      const paths = await writeReport(dir, fanOutSummary, { summary: false });
      expect(paths.some((p) => p.endsWith('summary.json'))).toBe(false);
      expect((await readdir(dir)).sort()).toEqual(
        [...chartConfigs(fanOutSummary).map((c) => c.file), 'report.html'].sort(),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('re-renders every run under a folder, keeps summary.json byte for byte, drops charts no longer drawn', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rerender-'));
    try {
      const a = join(root, 'reconnect', '2025-11-25T14-00-00Z');
      const b = join(root, 'fan-out', '2025-11-25T15-00-00Z');
      await mkdir(a, { recursive: true });
      await mkdir(b, { recursive: true });
      // Not as writeReport would format it: a rewrite would show.
      const text = JSON.stringify(reconnectSummary);
      await writeFile(join(a, 'summary.json'), text);
      await writeFile(join(b, 'summary.json'), `${JSON.stringify(fanOutSummary, null, 1)}\n`);
      await writeFile(join(a, 'an-old-chart.png'), 'stale');
      await writeFile(join(a, 'notes.txt'), 'kept');
      await writeFile(join(root, 'fan-out', 'latest.json'), '{}');

      expect(await findRuns(root)).toEqual([b, a]);
      const done = await rerender(a);
      expect(done.removed).toEqual([join(a, 'an-old-chart.png')]);
      expect(await readFile(join(a, 'summary.json'), 'utf8')).toBe(text);
      expect((await readdir(a)).sort()).toEqual(
        [...chartConfigs(reconnectSummary).map((c) => c.file), 'notes.txt', 'report.html', 'summary.json'].sort(),
      );
      expect(await readFile(join(a, 'report.html'), 'utf8')).toContain('Client groups: resuming vs naive');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses a summary.json that is not one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rerender-'));
    try {
      await writeFile(join(dir, 'summary.json'), JSON.stringify({ scenario: 'x' }));
      await expect(rerender(dir)).rejects.toThrow(/summary\.startedAt: missing/);
      expect(await readdir(dir)).toEqual(['summary.json']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('report.html with groups, a fan-out sweep and capacity', async () => {
  const bundle = await loadChartJsBundle();

  it('shows the new tables with their notes, and still references nothing outside the page', () => {
    for (const summary of [reconnectSummary, fanOutSummary, plainSummary]) {
      const html = renderHtml(summary, chartConfigs(summary), bundle);
      const own = html.replace(bundle, '');
      expect(own).not.toMatch(/https?:\/\//i);
      expect(html).not.toMatch(/\b(?:src|href|action|srcset)\s*=/i);
      expect(own).not.toMatch(/<link\b|@import|url\(/i);
    }
    const reconnect = renderHtml(reconnectSummary, chartConfigs(reconnectSummary), bundle);
    expect(reconnect).toContain('<h3>Client groups: resuming vs naive (resume off)</h3>\n<p class="note">resume off:');
    expect(reconnect).toContain(
      `<td class="left"><span class="swatch" style="background:${TRANSPORT_COLORS.sse}"></span>sse</td><td class="left">naive-sse</td><td class="left dim">off</td><td class="right bad">4,737/4,800</td>`,
    );
    expect(reconnect).toContain('runner: 7,715 ms CPU');
    const fanOut = renderHtml(fanOutSummary, chartConfigs(fanOutSummary), bundle);
    expect(fanOut).toContain('<h3>Server cost over the sweep (clients per transport)</h3>');
    expect(fanOut).toContain('<td class="right">1,520</td><td class="right">76</td>');
    const plain = renderHtml(plainSummary, chartConfigs(plainSummary), bundle);
    expect(plain).toContain('<td class="left dim">bare node:http, same body (baseline)</td>');
  });
});
