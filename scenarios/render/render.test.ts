import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { ChartConfiguration } from 'chart.js';
import { describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../../contract/index.js';
import type { Summary } from '../summary.js';
import { chartConfigs, logTickLabel, TRANSPORT_COLORS } from './charts.js';
import { plainSummary, sweepSummary } from './fixture-summary.js';
import { loadChartJsBundle, renderHtml } from './html.js';
import { renderPng } from './png.js';
import { renderTable } from './table.js';
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
    // requests, empty (share of requests), requests/msg, bytes/msg, payload/msg, overhead/msg, floor.
    expect(cells(rowOf(plain, 'Requests', 'short-poll'))).toEqual([
      'short-poll',
      '1,200',
      '162 (14%)',
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
    expect(plain.map((c) => c.file)).toEqual([
      'latency-percentiles.png',
      'bytes-per-message.png',
      'requests-per-message.png',
      'timeline.png',
    ]);
    expect(sweep.map((c) => c.file)).toEqual([
      'sweep-latency-p50.png',
      'sweep-latency-p99.png',
      'sweep-bytes-per-message.png',
      'sweep-overhead.png',
      'sweep-requests-per-message.png',
      ...plain.map((c) => c.file),
    ]);
  });

  it('gives every chart a title, a legend, and axis titles with units', () => {
    for (const chart of [...plain, ...sweep]) {
      const { options } = view(chart.config);
      expect(options.plugins.title).toMatchObject({ display: true, text: chart.title });
      expect(chart.title.length).toBeGreaterThan(10);
      expect(options.plugins.legend.display).toBe(true);
      expect(options.animation).toBe(false);
      const scales = Object.values(options.scales);
      expect(scales.length).toBe(2);
      for (const scale of scales) {
        expect(scale.title?.display).toBe(true);
        expect(scale.title?.text ?? '').toMatch(/^\S.{3,}/);
        // Value axes carry their unit in parentheses; category axes name what they list.
        if (scale.type !== 'category')
          expect(scale.title?.text, chart.file).toMatch(
            /\((ms|bytes|messages\/s|requests\/message|%|s)(, log scale)?\)$/,
          );
      }
    }
  });

  it('holds plain data only, so report.html can embed it', () => {
    for (const chart of [...plain, ...sweep]) expect(JSON.parse(JSON.stringify(chart.config))).toEqual(chart.config);
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
    expect(chartConfigs({ ...partial, transports: {} })).toEqual([]);
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

  it('renders every chart of both fixtures', async () => {
    for (const chart of [...chartConfigs(plainSummary), ...chartConfigs(sweepSummary)]) {
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
