import { describe, expect, it } from 'vitest';
import { logTickLabel } from '../../../charts/axes.js';
import { TRANSPORT_COLORS } from '../../../charts/style.js';
import { TRANSPORTS as ALL_TRANSPORTS } from '../../../contract/index.js';
import { at } from '../../../contract/present.js';
import { chartConfigs } from '../../../scenarios/render/charts/index.js';
import { renderPng } from '../../../scenarios/render/png.js';
import type { Summary } from '../../../scenarios/summary.js';
import { fanOutSummary, plainSummary, reconnectSummary, sweepSummary } from '../../fixtures/summaries.js';
import {
  chartFile,
  datasetsOf,
  hex,
  pixels,
  rgbaAt,
  subtitle,
  type TestDataset,
  type TestScale,
  view,
} from './helpers.js';

/** The fixtures (test/fixtures/summaries.ts) model reference results of the first four transports. */
const TRANSPORTS = ALL_TRANSPORTS.filter((t) => t !== 'socket.io');

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
      const scales = Object.values(options.scales).filter((s): s is TestScale => s !== undefined);
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
    const latency = view(at(plain, 0).config).data.datasets;
    expect(latency.map((d) => d.label)).toEqual([...TRANSPORTS]);
    for (const d of latency) expect(d.backgroundColor).toBe(TRANSPORT_COLORS[d.label as keyof typeof TRANSPORT_COLORS]);
    const p50 = view(at(sweep, 0).config).data.datasets.filter((d) => !d.label?.includes('predicted'));
    for (const d of p50) expect(d.borderColor).toBe(TRANSPORT_COLORS[d.label as keyof typeof TRANSPORT_COLORS]);
    expect(new Set(Object.values(TRANSPORT_COLORS)).size).toBe(ALL_TRANSPORTS.length);
  });

  it('puts latency on a log axis when the transports are orders of magnitude apart', () => {
    const { y } = view(at(plain, 0).config).options.scales;
    expect(y.type).toBe('logarithmic');
    expect(y.title?.text).toBe('event age (ms, log scale)');
    // Bounds on a 1–2–5 step around the data (0.44 … 1 001 ms).
    expect([y.min, y.max]).toEqual([0.2, 2000]);
  });

  it('stacks payload and overhead per transport and marks the protocol floor unstacked', () => {
    const { datasets, labels } = view(at(plain, 1).config).data;
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
    const p50 = at(sweep, 0);
    const requests = at(sweep, 4);
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
    expect(view(at(charts, 0).config).data.datasets.map((d) => d.label)).toEqual(['short-poll', 'sse', 'websocket']);
    expect(view(at(charts, 1).config).data.labels?.[1]).toEqual(['sse', '– B/msg']);
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

describe('renderPng', () => {
  it('renders a chart to a real, non-blank PNG on a white background', async () => {
    const chart = at(chartConfigs(plainSummary), 0);
    const before = JSON.stringify(chart.config);
    const png = await renderPng(chart.config, { width: 800, height: 450 });

    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(10_000);
    expect(JSON.stringify(chart.config)).toBe(before);

    const { width, height, data } = await pixels(png);
    expect([width, height]).toEqual([800, 450]);
    const colours = new Map<string, number>();
    let dark = 0;
    let translucent = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = rgbaAt(data, i);
      if (a !== 255) translucent += 1;
      const key = hex(r, g, b);
      colours.set(key, (colours.get(key) ?? 0) + 1);
      // Title text, in the top 30 rows.
      if (i / 4 < width * 30 && r + g + b < 300) dark += 1;
    }
    expect(translucent).toBe(0);
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
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = rgbaAt(data, i);
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured += 1;
      }
      expect(coloured, chart.file).toBeGreaterThan(500);
    }
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
    const longPoll = at(sets, 1).data as { x: number; y: number }[];
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
    expect(at(sets, 5).borderDash).toEqual([7, 5]);
    const { y } = view(chart.config).options.scales;
    // 312 × 1.05 → 50 a step, up to 350; the markers reach the top.
    expect([y.min, y.max]).toEqual([0, 350]);
    expect((at(sets, 8).data as { x: number; y: number | null }[]).slice(0, 3)).toEqual([
      { x: 6, y: 0 },
      { x: 6, y: 350 },
      { x: 6, y: null },
    ]);
    expect(at(at(sets, 9).data as { x: number }[], 0).x).toBe(30);
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
