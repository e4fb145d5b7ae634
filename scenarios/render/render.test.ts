import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { ChartConfiguration } from 'chart.js';
import { describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../../contract/index.js';
import type { Summary } from '../summary.js';
import { validateSummary } from '../validate.js';
import { logTickLabel } from './charts/axes.js';
import { chartConfigs } from './charts/index.js';
import { TRANSPORT_COLORS } from './charts/style.js';
import { fanOutSummary, plainSummary, reconnectSummary, sweepSummary } from './fixture-summary.js';
import { loadChartJsBundle, renderHtml } from './html.js';
import { renderPng } from './png.js';
import { findRuns, rerender } from './rerender.js';
import { renderTable, summaryTables } from './table/index.js';
import { wrap } from './table/terminal.js';
import { writeReport } from './write.js';

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

/** A chart config as the plain data it is, typed loosely enough to poke at in tests. */
interface TestScale {
  type?: string;
  min?: number;
  max?: number;
  title?: { display?: boolean; text?: string };
  ticks?: { callback?: (value: number) => string };
}
interface TestDataset {
  label?: string;
  type?: string;
  stack?: string;
  data: unknown[];
  borderDash?: number[];
  backgroundColor?: unknown;
  borderColor?: unknown;
}
interface TestConfig {
  data: { labels?: unknown[]; datasets: TestDataset[] };
  options: {
    animation?: boolean;
    responsive?: boolean;
    maintainAspectRatio?: boolean;
    plugins: {
      title: { display?: boolean; text?: string };
      subtitle: { text?: string };
      legend: { display?: boolean };
    };
    scales: Record<string, TestScale>;
  };
}
const view = (config: unknown) => config as TestConfig;

/** The table line of a transport in a given section (matched with colour codes ignored). */
function rowOf(text: string, section: string, transport: string): string {
  const lines = text.split('\n');
  const plain = (l: string) => l.replace(ANSI, '');
  const start = lines.findIndex((l) => plain(l).startsWith(section));
  if (start < 0) throw new Error(`no section ${section}`);
  const row = lines.slice(start).find((l) => plain(l).startsWith(`${transport} `));
  if (!row) throw new Error(`no row for ${transport} under ${section}`);
  return row;
}

const cells = (row: string) => row.trim().split(/\s{2,}/);

describe('renderTable', () => {
  const plain = renderTable(plainSummary, { color: false });

  it('has one row per transport, in the contract order, with its numbers', () => {
    const order = TRANSPORTS.map((t) => plain.indexOf(`\n${t} `));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    expect(cells(rowOf(plain, 'Delivery', 'short-poll'))).toEqual([
      'short-poll',
      '20',
      '2,400/2,400',
      '0',
      '0',
      '0',
      '0',
      '498',
      '902',
      '992',
      '1,013',
    ]);
    expect(cells(rowOf(plain, 'Delivery', 'long-poll'))).toEqual([
      'long-poll',
      '20',
      '2,400/2,400',
      '0',
      '2',
      '0',
      '0',
      '0.92',
      '1.41',
      '3.18',
      '9.84',
    ]);
    // requests, empty (share of requests), msgs counted, req/msg, bytes/msg, payload/msg, overhead/msg, floor.
    expect(cells(rowOf(plain, 'Requests', 'short-poll'))).toEqual([
      'short-poll',
      '1,200',
      '162 (14%)',
      '2,400',
      '0.5',
      '492',
      '256',
      '236',
      '70.6',
    ]);
    expect(cells(rowOf(plain, 'Requests', 'sse'))).toEqual([
      'sse',
      '20',
      '0 (0%)',
      '2,400',
      '0.00833',
      '288',
      '256',
      '32.4',
      '29',
    ]);
    expect(cells(rowOf(plain, 'Requests', 'websocket'))).toEqual([
      'websocket',
      '20',
      '0 (0%)',
      '2,400',
      '0.00833',
      '264',
      '256',
      '7.75',
      '4',
    ]);
  });

  it('lines the columns up under their headers', () => {
    const lines = plain.split('\n');
    const header = lines.find((l) => l.startsWith('transport') && l.includes('p50 ms')) as string;
    const row = rowOf(plain, 'Delivery', 'websocket');
    // Right-aligned columns end where their header ends.
    for (const label of ['clients', 'delivered/expected', 'p50 ms', 'max ms']) {
      const end = header.indexOf(label) + label.length;
      expect(row[end - 1]).not.toBe(' ');
      expect(row[end] ?? ' ').toBe(' ');
    }
  });

  it('marks each expectation ✓ or ✗ with its detail, and counts them', () => {
    expect(plain).toContain('✓ short-poll p50 latency ≈ T/2 = 500 ms (±20 %) — measured 498 ms');
    expect(plain).toContain('✗ no duplicates on any transport — long-poll: 2 duplicates');
    expect(plain).toContain('4/5 expectations met');
    expect(plain).toContain('server: 1,843 ms CPU, 192 µs CPU per delivered message, RSS max 92 MiB');
  });

  it('writes ANSI colour codes only when asked, without moving anything', () => {
    expect(plain).not.toMatch(ANSI);
    const coloured = renderTable(plainSummary, { color: true });
    expect(coloured).toContain(`${ESC}[31m✗${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[32m✓${ESC}[0m`);
    // The long-poll duplicates stand out.
    expect(rowOf(coloured, 'Delivery', 'long-poll')).toContain(`${ESC}[33m  2${ESC}[0m`);
    expect(coloured.replace(ANSI, '')).toBe(plain);
  });

  it('adds a compact table per sweep point, predictions beside the measurements', () => {
    const text = renderTable(sweepSummary, { color: false });
    expect(text).toContain('Sweep over short-poll interval (ms)');
    const lines = text.split('\n');
    const at100 = lines.find((l) => /^\s*100\s+short-poll/.test(l)) as string;
    // value, transport, p50, p50 predicted, p99, bytes/msg, requests/msg
    expect(cells(at100)).toEqual(['100', 'short-poll', '51.3', '50', '99.8', '2,661', '5']);
    const at5000 = lines.find((l) => /^\s*5,000\s+short-poll/.test(l)) as string;
    expect(cells(at5000)).toEqual(['5,000', 'short-poll', '2,489', '2,500', '4,950', '312', '0.1']);
    // Every point lists every transport.
    const sweepRows = lines.slice(lines.findIndex((l) => l.startsWith('Sweep over')));
    for (const t of TRANSPORTS)
      expect(sweepRows.filter((l) => l.includes(` ${t} `) || l.startsWith(t)).length).toBeGreaterThanOrEqual(6);
  });

  it('shows a dash, not NaN, for what could not be measured', () => {
    const broken = structuredClone(plainSummary);
    const sse = broken.transports.sse as NonNullable<Summary['transports']['sse']>;
    sse.delivered = 0;
    // What JSON makes of NaN.
    sse.bytesPerMessage = null as unknown as number;
    sse.latencyMs.p50 = null as unknown as number;
    const text = renderTable(broken, { color: false });
    expect(text).not.toMatch(/NaN|null|undefined|Infinity/);
    expect(cells(rowOf(text, 'Delivery', 'sse'))[7]).toBe('–');
  });
});

describe('chartConfigs', () => {
  const plain = chartConfigs(plainSummary);
  const sweep = chartConfigs(sweepSummary);

  it('draws the four per-transport charts, and the five sweep curves for a sweep', () => {
    const perTransport = [
      'latency-percentiles.png',
      'bytes-per-message.png',
      'requests-per-message.png',
      'timeline.png',
    ];
    // The plain run has an HTTP capacity phase: its chart comes last.
    expect(plain.map((c) => c.file)).toEqual([...perTransport, 'capacity.png']);
    expect(sweep.map((c) => c.file)).toEqual([
      'sweep-latency-p50.png',
      'sweep-latency-p99.png',
      'sweep-bytes-per-message.png',
      'sweep-overhead.png',
      'sweep-requests-per-message.png',
      ...perTransport,
    ]);
  });

  it('gives every chart a title, a legend, and axis titles with units', () => {
    const all = [...plain, ...sweep, ...chartConfigs(reconnectSummary), ...chartConfigs(fanOutSummary)];
    for (const chart of all) {
      const { options } = view(chart.config);
      expect(options.plugins.title).toMatchObject({ display: true, text: chart.title });
      expect(chart.title.length).toBeGreaterThan(10);
      expect(options.plugins.legend.display).toBe(true);
      expect(options.animation).toBe(false);
      const scales = Object.values(options.scales);
      // x and y; the capacity chart has a second value axis on the right.
      expect(scales.length, chart.file).toBe(chart.file === 'capacity.png' ? 3 : 2);
      for (const scale of scales) {
        expect(scale.title?.display).toBe(true);
        expect(scale.title?.text ?? '').toMatch(/^\S.{3,}/);
        // Value axes carry their unit in parentheses; category axes name what they list.
        if (scale.type !== 'category')
          expect(scale.title?.text, chart.file).toMatch(
            /\((ms|µs|bytes|messages|messages\/s|polls\/s|requests\/message|%|s|clients)(, log scale)?\)$/,
          );
      }
    }
  });

  it('holds plain data only, so report.html can embed it', () => {
    const all = [...plain, ...sweep, ...chartConfigs(reconnectSummary), ...chartConfigs(fanOutSummary)];
    for (const chart of all) expect(JSON.parse(JSON.stringify(chart.config))).toEqual(chart.config);
  });

  it('colours each transport the same everywhere', () => {
    const latency = view(plain[0].config).data.datasets;
    expect(latency.map((d) => d.label)).toEqual([...TRANSPORTS]);
    for (const d of latency) expect(d.backgroundColor).toBe(TRANSPORT_COLORS[d.label as keyof typeof TRANSPORT_COLORS]);
    const p50 = view(sweep[0].config).data.datasets.filter((d) => !d.label?.includes('predicted'));
    for (const d of p50) expect(d.borderColor).toBe(TRANSPORT_COLORS[d.label as keyof typeof TRANSPORT_COLORS]);
    expect(new Set(Object.values(TRANSPORT_COLORS)).size).toBe(TRANSPORTS.length);
  });

  it('puts latency on a log axis when the transports are orders of magnitude apart', () => {
    const { y } = view(plain[0].config).options.scales;
    expect(y.type).toBe('logarithmic');
    expect(y.title?.text).toBe('event age (ms, log scale)');
    // Bounds on a 1–2–5 step around the data (0.44 … 1 001 ms).
    expect([y.min, y.max]).toEqual([0.2, 2000]);
  });

  it('stacks payload and overhead per transport and marks the protocol floor unstacked', () => {
    const { datasets, labels } = view(plain[1].config).data;
    expect(labels).toEqual([
      ['short-poll', '492 B/msg'],
      ['long-poll', '732 B/msg'],
      ['sse', '288 B/msg'],
      ['websocket', '264 B/msg'],
    ]);
    const payload = datasets.find((d) => d.label === 'payload (message JSON)');
    expect(payload?.data).toEqual([256, 256, 256, 256]);
    const overhead = datasets.find((d) => d.label === 'short-poll overhead');
    expect(overhead?.data[0]).toBeCloseTo(236.07, 1);
    expect(overhead?.data.slice(1)).toEqual([null, null, null]);
    const floor = datasets.find((d) => d.label?.startsWith('protocol floor')) as TestDataset;
    expect(floor.type).toBe('line');
    expect(payload?.stack).toBe('wire');
    expect(floor.stack).not.toBe('wire');
    expect(floor.data).toEqual([256 + 70.57, 256 + 152, 256 + 29, 256 + 4]);
  });

  it('draws each prediction dashed beside its measured curve', () => {
    const [p50, , , , requests] = sweep;
    const predicted = view(p50.config).data.datasets.find((d) => d.label === 'short-poll (predicted)') as TestDataset;
    expect(predicted.borderDash).toEqual([6, 5]);
    expect(predicted.data).toEqual(
      [50, 125, 250, 500, 1000, 2500].map((y, i) => ({ x: [100, 250, 500, 1000, 2000, 5000][i], y })),
    );
    expect(view(p50.config).data.datasets.some((d) => d.label === 'sse (predicted)')).toBe(false);
    const { x } = view(p50.config).options.scales;
    expect(x).toMatchObject({ type: 'logarithmic', title: { text: 'short-poll interval (ms, log scale)' } });
    const req = view(requests.config).data.datasets.find((d) => d.label === 'short-poll (predicted)') as TestDataset;
    expect((req.data as { y: number }[]).map((p) => p.y)).toEqual([5, 2, 1, 0.5, 0.25, 0.1]);
  });

  it('copes with missing transports and unmeasurable values', () => {
    const partial = structuredClone(plainSummary);
    delete partial.transports['long-poll'];
    // What JSON makes of NaN.
    (partial.transports.sse as NonNullable<Summary['transports']['sse']>).bytesPerMessage = null as unknown as number;
    const charts = chartConfigs(partial);
    expect(view(charts[0].config).data.datasets.map((d) => d.label)).toEqual(['short-poll', 'sse', 'websocket']);
    expect(view(charts[1].config).data.labels?.[1]).toEqual(['sse', '– B/msg']);
    // Without transports only what does not need them is left: the capacity chart.
    expect(chartConfigs({ ...partial, transports: {} }).map((c) => c.file)).toEqual(['capacity.png']);
    expect(chartConfigs({ ...partial, transports: {}, capacity: undefined })).toEqual([]);
  });

  it('labels log axes at 1, 2 and 5 of each decade only', () => {
    expect([0.2, 0.5, 1, 2, 3, 5, 7, 10, 1000, 1500, 2000].map(logTickLabel)).toEqual([
      '0.2',
      '0.5',
      '1',
      '2',
      '',
      '5',
      '',
      '10',
      '1,000',
      '',
      '2,000',
    ]);
    expect(logTickLabel(0)).toBe('');
  });
});

/** Decodes a PNG and returns its RGBA pixels. */
async function pixels(png: Buffer) {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

const hex = (r: number, g: number, b: number) =>
  `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`.toUpperCase();

describe('renderPng', () => {
  it('renders a chart to a real, non-blank PNG on a white background', async () => {
    const chart = chartConfigs(plainSummary)[0];
    const before = JSON.stringify(chart.config);
    const png = await renderPng(chart.config, { width: 800, height: 450 });

    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(10_000);
    expect(JSON.stringify(chart.config)).toBe(before);

    const { width, height, data } = await pixels(png);
    expect([width, height]).toEqual([800, 450]);
    const colours = new Map<string, number>();
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) {
      expect(data[i + 3]).toBe(255);
      const key = hex(data[i], data[i + 1], data[i + 2]);
      colours.set(key, (colours.get(key) ?? 0) + 1);
      // Title text, in the top 30 rows.
      if (i / 4 < width * 30 && data[i] + data[i + 1] + data[i + 2] < 300) dark += 1;
    }
    expect(colours.get('#FFFFFF') ?? 0).toBeGreaterThan((width * height) / 3);
    expect(colours.size).toBeGreaterThan(50);
    for (const t of TRANSPORTS) expect(colours.get(TRANSPORT_COLORS[t]) ?? 0, t).toBeGreaterThan(1_000);
    // Glyphs were drawn: a missing font leaves the title area white.
    expect(dark).toBeGreaterThan(100);
  });

  it('renders every chart of every fixture', async () => {
    const fixtures = [plainSummary, sweepSummary, reconnectSummary, fanOutSummary];
    for (const chart of fixtures.flatMap((f) => chartConfigs(f))) {
      const { data } = await pixels(await renderPng(chart.config, { width: 600, height: 340 }));
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4)
        if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 60)
          coloured += 1;
      expect(coloured, chart.file).toBeGreaterThan(500);
    }
  });
});

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
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const loader = scripts[scripts.length - 1];
    const made: { canvas: unknown; config: ChartConfiguration }[] = [];
    const document = { getElementById: (id: string) => (id === 'chart-configs' ? { textContent: json } : { id }) };
    class Chart {
      constructor(canvas: unknown, config: ChartConfiguration) {
        made.push({ canvas, config });
      }
    }
    new Function('document', 'Chart', loader)(document, Chart);
    expect(made.map((m) => m.canvas)).toEqual(charts.map((_, i) => ({ id: `chart-${i}` })));
    const { options } = view(made[0].config);
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
      expect(JSON.parse(await readFile(paths[0], 'utf8'))).toEqual(sweepSummary);
      const png = await readFile(paths[1]);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(await readFile(paths[paths.length - 1], 'utf8')).toMatch(/^<!doctype html>/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// What the summaries carry beyond the per-transport numbers: client groups, the server's cost
// per transport over a fan-out sweep, the capacity phase's CPU, the counting window.

/** The lines of one table: from its title to the blank line after it. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(title));
  if (start < 0) throw new Error(`no table ${title}`);
  const end = lines.indexOf('', start);
  return lines.slice(start, end < 0 ? undefined : end);
}

/** The row of a table whose first cells are `first` (as split by `cells`). */
function rowStarting(lines: string[], ...first: string[]): string[] {
  const row = lines.map(cells).find((c) => first.every((f, i) => c[i] === f));
  if (!row) throw new Error(`no row ${first.join(' ')}`);
  return row;
}

const datasetsOf = (chart: { config: unknown }) => view(chart.config).data.datasets;
const chartFile = (summary: Summary, file: string) => {
  const chart = chartConfigs(summary).find((c) => c.file === file);
  if (!chart) throw new Error(`no chart ${file}`);
  return chart;
};
const subtitle = (chart: { config: unknown }) => {
  const text = view(chart.config).options.plugins.subtitle.text as unknown;
  return Array.isArray(text) ? text.join('\n') : String(text);
};

describe('the fixtures', () => {
  it('are valid summaries, as the runner writes them', () => {
    for (const summary of [plainSummary, sweepSummary, reconnectSummary, fanOutSummary])
      expect(validateSummary(JSON.parse(JSON.stringify(summary))), summary.scenario).toEqual([]);
  });
});

describe('tables beyond the per-transport ones', () => {
  const reconnect = renderTable(reconnectSummary, { color: false });
  const fanOut = renderTable(fanOutSummary, { color: false });
  const plain = renderTable(plainSummary, { color: false });

  it('lists every client group, resume on vs off, by transport', () => {
    const table = section(reconnect, 'Client groups: resuming vs naive (resume off)');
    expect(cells(table.find((l) => l.startsWith('transport')) as string)).toEqual([
      'transport',
      'group',
      'resume',
      'delivered/exp.',
      'lost',
      'detected',
      'dup',
      'resets',
      'recovery ms',
      'p50 ms',
      'p99 ms',
    ]);
    // transport, group, resume, delivered/expected, lost, detected, dup, resets, recovery, p50, p99
    expect(rowStarting(table, 'sse', 'sse')).toEqual([
      'sse',
      'sse',
      'on',
      '4,800/4,800',
      '0',
      '0',
      '0',
      '8',
      '780',
      '3.72',
      '916',
    ]);
    expect(rowStarting(table, 'sse', 'naive-sse')).toEqual([
      'sse',
      'naive-sse',
      'off',
      '4,737/4,800',
      '63',
      '39',
      '0',
      '0',
      '126',
      '3.27',
      '8.77',
    ]);
    // Both short-poll groups lose the old epoch's tail at the restart, and no client can tell.
    expect(rowStarting(table, 'short-poll', 'naive-short-poll').slice(3, 6)).toEqual(['4,739/4,800', '61', '0']);
    // Resuming before naive, transports in the contract's order.
    const groups = table.slice(table.findIndex((l) => l.startsWith('─')) + 1).map((l) => cells(l)[1]);
    expect(groups).toEqual([
      'short-poll',
      'naive-short-poll',
      'long-poll',
      'naive-long-poll',
      'sse',
      'naive-sse',
      'websocket',
      'naive-websocket',
    ]);
  });

  it('says that the per-transport tables show the first group only', () => {
    expect(section(reconnect, 'Delivery and latency')[1]).toBe(
      "Each transport's first client group; every group is in the group table below.",
    );
  });

  it('shows client errors and the client thread delay per group', () => {
    const table = section(reconnect, 'Client side, per group');
    expect(rowStarting(table, 'naive-websocket')).toEqual([
      'naive-websocket',
      'NETWORK 16, CLOSED 8',
      '0.09',
      '3.1',
      '9.7',
    ]);
    expect(rowStarting(table, 'short-poll')).toEqual(['short-poll', '–', '0.09', '3.1', '9.7']);
  });

  it('shows the loss the clients could tell, and what none could see, per transport', () => {
    const noFault = section(plain, 'Client side');
    expect(cells(noFault[noFault.findIndex((l) => l.startsWith('transport'))])).toEqual([
      'transport',
      'lost',
      'detected',
      'unseen',
      'loop p50 ms',
      'loop p99 ms',
      'loop max ms',
    ]);
    expect(rowStarting(noFault, 'long-poll')).toEqual(['long-poll', '0', '0', '0', '0.06', '2.1', '9.3']);
    // A restart's tail: lost, and no client could tell.
    const restart = structuredClone(plainSummary);
    Object.assign(restart.transports['short-poll'] as object, { lost: 61, lostDetected: 0, recoveryMs: 531.9 });
    const table = section(renderTable(restart, { color: false }), 'Client side');
    expect(rowStarting(table, 'short-poll').slice(0, 5)).toEqual(['short-poll', '61', '0', '61', '532']);
  });

  it('divides the cost by the messages counted, and marks an overhead below the floor', () => {
    const table = section(fanOut, 'Requests and wire bytes per message');
    expect(table.join(' ')).toContain('÷ the messages the clients received while the counters ran (msgs counted)');
    expect(rowStarting(table, 'websocket')).toEqual(['websocket', '0', '0', '20,000', '0', '251', '256', '-5 *', '4']);
    expect(rowStarting(table, 'sse')[7]).toBe('15.8 *');
    expect(rowStarting(table, 'long-poll')[7]).toBe('521');
    expect(table.join(' ')).toContain('* Overhead below the floor is not a saving');
    expect(section(plain, 'Requests and wire bytes per message').join(' ')).not.toContain('below the floor');
  });

  it('gives the server CPU per delivered message over a fan-out sweep, coarse values marked', () => {
    const table = section(fanOut, 'Server cost over the sweep (clients per transport)');
    expect(cells(table.find((l) => l.startsWith('clients per transport')) as string)).toEqual([
      'clients per transport',
      'transport',
      'server CPU ms',
      'CPU µs/msg',
      'msgs counted',
      'RSS max',
    ]);
    expect(rowStarting(table, '2,000')).toEqual(['2,000', 'short-poll', '710', '35.5', '20,000', '214 MiB']);
    expect(rowStarting(table, 'long-poll', '1,520')).toEqual(['long-poll', '1,520', '76', '20,000', '256 MiB']);
    // 40 ms of CPU is four /proc ticks: marked, and the note says why.
    expect(rowStarting(table, 'sse', '≈40')).toEqual(['sse', '≈40', '≈40', '1,000', '104 MiB']);
    expect(table.join(' ')).toContain('≈: under 100 ms of CPU');
    // Not for a sweep without serverCost.
    expect(renderTable(sweepSummary, { color: false })).not.toContain('Server cost over the sweep');
  });

  it('puts the client thread delay beside the p99 in the sweep table', () => {
    const table = section(fanOut, 'Sweep over clients per transport (clients)');
    expect(cells(table.find((l) => l.startsWith('clients per transport')) as string)).toEqual([
      'clients per transport',
      'transport',
      'p50 ms',
      'p50 predicted',
      'p99 ms',
      'loop p99 ms',
      'bytes/msg',
      'req/msg',
    ]);
    expect(rowStarting(table, 'long-poll', '142')).toEqual(['long-poll', '142', '–', '261', '257', '777', '1']);
  });

  it('gives polls/s and CPU per poll for the lab, bare Fastify and the bare node:http baseline', () => {
    const table = section(plain, 'HTTP capacity (autocannon)');
    expect(table[1]).toMatch(/^autocannon, 10 connections, pipelining 1, 3 alternated rounds of 3 s each\./);
    const rows = table.slice(table.findIndex((l) => l.startsWith('─')) + 1).map((l) => l.split(/\s{2,}/));
    expect(rows).toEqual([
      ['/api/poll (lab)', '40,980', '0.552×', '<1', '1', '0', '24.2', '99%'],
      ['/api/poll (bare Fastify, same body)', '66,057', '0.889×', '<1', '<1', '0', '14.3', '94%'],
      ['bare node:http, same body (baseline)', '74,300', '1×', '–', '–', '–', '12.7', '–'],
    ]);
  });

  it('prints a runner line, and keeps every table within about 110 columns', () => {
    expect(plain).toContain(
      'runner: 4,210 ms CPU (clients and proxies, every thread), main-thread loop delay p99 1.65 ms, max 13 ms',
    );
    for (const summary of [plainSummary, sweepSummary, reconnectSummary, fanOutSummary]) {
      const text = renderTable(summary, { color: false });
      for (const model of summaryTables(summary)) {
        const lines = section(text, model.title);
        expect(Math.max(...lines.map((l) => [...l].length)), `${summary.scenario}: ${model.title}`).toBeLessThanOrEqual(
          110,
        );
      }
    }
  });

  it('shows the runner’s own publishes, a failed one in red in the terminal and marked in report.html', () => {
    expect(renderTable(plainSummary, { color: false })).not.toContain('publisher:');
    const failing: Summary = { ...plainSummary, publisher: { published: 398, failed: 2 } };
    expect(validateSummary(failing)).toEqual([]);
    const text = renderTable(failing, { color: true });
    expect(text).toContain(
      `${ESC}[31mpublisher: 398 messages published by the runner, 2 FAILED (messages no client could receive)`,
    );
    const clean = renderTable({ ...plainSummary, publisher: { published: 400, failed: 0 } }, { color: false });
    expect(clean).toContain('publisher: 400 messages published by the runner, none failed');
    expect(renderHtml(failing, [], '')).toContain(
      '<p class="bad">publisher: 398 messages published by the runner, 2 FAILED',
    );
    expect(validateSummary({ ...plainSummary, publisher: { published: 1, failed: -1 } })).toEqual([
      'summary.publisher.failed: expected a count (integer ≥ 0), got -1',
    ]);
  });

  it('wraps notes at word boundaries', () => {
    expect(wrap('aaa bbb ccc dddd', 8)).toEqual(['aaa bbb', 'ccc dddd']);
    expect(wrap('  ', 8)).toEqual([]);
    expect(wrap('averyveryverylongword x', 5)).toEqual(['averyveryverylongword', 'x']);
  });
});

describe('charts beyond the per-transport ones', () => {
  it('draws lost messages per transport, resume on vs off, the unseen part lighter', () => {
    const chart = chartFile(reconnectSummary, 'groups-lost.png');
    expect(chart.title).toBe('Messages lost per client group: resume on vs off');
    const { data, options } = view(chart.config);
    expect(data.labels).toEqual([
      ['short-poll', 'on 61 · off 61 lost'],
      ['long-poll', 'on 0 · off 42 lost'],
      ['sse', 'on 0 · off 63 lost'],
      ['websocket', 'on 0 · off 66 lost'],
    ]);
    expect(data.datasets.map((d) => [d.label, d.stack, d.data])).toEqual([
      ['resume on: lost, the clients could tell', 'on', [0, 0, 0, 0]],
      ['resume on: lost, no client could tell', 'on', [61, 0, 0, 0]],
      ['resume off (naive): lost, the clients could tell', 'off', [0, 42, 39, 46]],
      ['resume off (naive): lost, no client could tell', 'off', [61, 0, 24, 20]],
    ]);
    // Linear, from zero: the resuming groups' zeros are the lesson.
    expect(options.scales.y).toMatchObject({
      type: 'linear',
      title: { text: 'messages lost, all clients of the group (messages)' },
    });
    expect(subtitle(chart)).toContain('lighter: loss no client could tell');
  });

  it('draws no group chart without both resume settings', () => {
    expect(chartConfigs(plainSummary).some((c) => c.file === 'groups-lost.png')).toBe(false);
    const allResume = structuredClone(reconnectSummary);
    allResume.groups = allResume.groups?.filter((g) => g.resume);
    expect(chartConfigs(allResume).some((c) => c.file === 'groups-lost.png')).toBe(false);
  });

  it('draws the server CPU per delivered message over the clients, log x, coarse points hollow', () => {
    const charts = chartConfigs(fanOutSummary).map((c) => c.file);
    expect(charts.slice(0, 6)).toEqual([
      'sweep-latency-p50.png',
      'sweep-latency-p99.png',
      'sweep-server-cpu-per-message.png',
      'sweep-bytes-per-message.png',
      'sweep-overhead.png',
      'sweep-requests-per-message.png',
    ]);
    expect(chartConfigs(sweepSummary).some((c) => c.file === 'sweep-server-cpu-per-message.png')).toBe(false);
    const chart = chartFile(fanOutSummary, 'sweep-server-cpu-per-message.png');
    const { options } = view(chart.config);
    expect(options.scales.x).toMatchObject({
      type: 'logarithmic',
      title: { text: 'clients per transport (clients, log scale)' },
    });
    expect(options.scales.y.title?.text).toBe('server CPU per delivered message (µs)');
    const sets = datasetsOf(chart);
    expect(sets.map((d) => d.label)).toEqual(['short-poll', 'long-poll', 'sse', 'websocket']);
    const longPoll = sets[1].data as { x: number; y: number }[];
    expect(longPoll.map((p) => p.x)).toEqual([100, 500, 1000, 2000]);
    expect(longPoll.map((p) => p.y)).toEqual([310, 92, 72, 76]);
    // sse at 100 clients: 40 ms of CPU, four /proc ticks.
    const sse = sets[2] as TestDataset & { pointBackgroundColor?: string[] };
    expect(sse.pointBackgroundColor).toEqual([
      '#ffffff',
      TRANSPORT_COLORS.sse,
      TRANSPORT_COLORS.sse,
      TRANSPORT_COLORS.sse,
    ]);
    expect(subtitle(chart)).toContain("hollow: under 100 ms of CPU, where /proc's 10 ms ticks");
    expect(subtitle(chart)).not.toContain('dashed');
  });

  it('draws the client thread delay dotted on the p99 curve where it is a visible part of it', () => {
    const p99 = chartFile(fanOutSummary, 'sweep-latency-p99.png');
    const loop = datasetsOf(p99).find((d) => d.label === 'long-poll: client thread p99') as TestDataset;
    expect(loop.borderDash).toEqual([2, 3]);
    expect((loop.data as { y: number }[]).map((p) => p.y)).toEqual([15.2, 19.85, 58.68, 257]);
    expect(subtitle(p99)).toContain("dotted: the runner's client-thread event-loop delay p99");
    // The legend reads measured, predicted, thread delay for each transport.
    const labels = datasetsOf(p99).map((d) => d.label);
    const order = (datasets: TestDataset[]) =>
      [...datasets]
        .map((d, i) => ({ d, i }))
        .sort(
          (a, b) => ((a.d as { order?: number }).order ?? 0) - ((b.d as { order?: number }).order ?? 0) || a.i - b.i,
        )
        .map(({ d }) => d.label);
    expect(order(datasetsOf(p99)).slice(0, 3)).toEqual([
      'short-poll (predicted)',
      'short-poll',
      'short-poll: client thread p99',
    ]);
    expect(labels).toHaveLength(4 * 2 + 1);
    // Nothing of the kind where the sweep has no loop delay recorded.
    expect(datasetsOf(chartFile(sweepSummary, 'sweep-latency-p99.png')).some((d) => d.label?.includes('thread'))).toBe(
      false,
    );
  });

  it('draws polls/s and CPU per poll of the lab, bare Fastify and bare node:http on two axes', () => {
    const chart = chartFile(plainSummary, 'capacity.png');
    expect(chart.title).toBe('Polls per second and CPU µs per poll: lab vs bare Fastify vs bare node:http');
    const { data, options } = view(chart.config);
    expect(data.labels).toEqual([
      ['lab', '40,980 polls/s · 24.2 µs/poll'],
      ['bare Fastify', '66,057 polls/s · 14.3 µs/poll'],
      ['bare node:http', '74,300 polls/s · 12.7 µs/poll'],
    ]);
    expect(data.datasets.map((d) => [d.label, (d as { yAxisID?: string }).yAxisID, d.data])).toEqual([
      ['polls answered per second (left axis)', 'y', [40_980, 66_057, 74_300]],
      ['server CPU per poll (right axis)', 'y1', [24.16, 14.26, 12.7]],
    ]);
    expect(options.scales.y.title?.text).toBe('polls answered per second (polls/s)');
    expect(options.scales.y1).toMatchObject({ position: 'right', title: { text: 'server CPU per poll (µs)' } });
    expect(subtitle(chart)).toContain('3 alternated rounds of 3 s each');
  });

  it('draws the timeline in one-second steps, with the faults and the window’s end', () => {
    const chart = chartFile(reconnectSummary, 'timeline.png');
    expect(chart.title).toBe('Deliveries per second over the run, per client group');
    const sets = datasetsOf(chart);
    expect(sets.map((d) => d.label)).toEqual([
      'short-poll',
      'naive-short-poll (resume off)',
      'long-poll',
      'naive-long-poll (resume off)',
      'sse',
      'naive-sse (resume off)',
      'websocket',
      'naive-websocket (resume off)',
      'faults: cut at the proxies 6 s · cut by the server 14 s · server restart 22 s',
      'window closes (feed paused)',
    ]);
    const sse = sets[4] as TestDataset & { stepped?: string };
    // chart.js's 'before' holds a value until the next point: the bucket [6, 7) is drawn from 6 to 7.
    expect(sse.stepped).toBe('before');
    const points = sse.data as { x: number; y: number }[];
    expect(points.slice(6, 8)).toEqual([
      { x: 6, y: 8 },
      { x: 7, y: 312 },
    ]);
    // A last point closes the last bucket.
    expect(points.at(-1)).toEqual({ x: 31, y: 16 });
    expect(sets[5].borderDash).toEqual([7, 5]);
    const { y } = view(chart.config).options.scales;
    // 312 × 1.05 → 50 a step, up to 350; the markers reach the top.
    expect([y.min, y.max]).toEqual([0, 350]);
    expect((sets[8].data as { x: number; y: number | null }[]).slice(0, 3)).toEqual([
      { x: 6, y: 0 },
      { x: 6, y: 350 },
      { x: 6, y: null },
    ]);
    expect((sets[9].data as { x: number }[])[0].x).toBe(30);
    // Per transport only, without groups; the plain run has no faults.
    const plain = datasetsOf(chartFile(plainSummary, 'timeline.png')).map((d) => d.label);
    expect(plain).toEqual(['short-poll', 'long-poll', 'sse', 'websocket', 'window closes (feed paused)']);
  });

  it('says so when the wire bytes fall below the protocol floor, and why a stream makes 0 requests', () => {
    const bytes = chartFile(fanOutSummary, 'bytes-per-message.png');
    expect(subtitle(bytes)).toContain(
      'sse, websocket: below the protocol floor — an edge effect of the counting window, not a saving (websocket: under the payload itself',
    );
    expect(subtitle(chartFile(plainSummary, 'bytes-per-message.png'))).not.toContain('floor');
    const requests = chartFile(fanOutSummary, 'requests-per-message.png');
    expect(subtitle(requests)).toContain(
      'sse, websocket: 0 — their connections were opened before the counting window',
    );
    expect(subtitle(requests)).toContain('last sweep point: clients per transport = 2,000 clients');
  });

  it('says which group the per-transport charts show when there are several', () => {
    expect(subtitle(chartFile(reconnectSummary, 'latency-percentiles.png'))).toContain(
      "each transport's first client group (resume on)",
    );
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
