/**
 * A sweep point holding two groups of one transport (payload-sweep's `websocket` and
 * `websocket-deflate`, scenarios/render/sweep-series.ts): both get a curve and a table row; a
 * sweep without groups draws exactly what it drew before groups existed.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { darken, TRANSPORT_COLORS } from '../../../charts/style.js';
import { chartConfigs } from '../../../scenarios/render/charts/index.js';
import { renderPng } from '../../../scenarios/render/png.js';
import { renderTable } from '../../../scenarios/render/table/index.js';
import type { GroupSummary, Summary } from '../../../scenarios/summary.js';
import { validateSummary } from '../../../scenarios/validate.js';
import { sweepSummary } from '../../fixtures/summaries.js';
import { cells, chartFile, datasetsOf, pixels, section, subtitle } from './helpers.js';

/** The fixture sweep with a compressed WebSocket group beside the plain one at every point. */
function withDeflateGroup(): Summary {
  const summary = structuredClone(sweepSummary);
  for (const point of summary.sweep?.points ?? []) {
    const plain = point.transports.websocket;
    if (!plain) throw new Error('the fixture sweep has a websocket at every point');
    const deflate: GroupSummary = {
      ...structuredClone(plain),
      name: 'websocket-deflate',
      transport: 'websocket',
      resume: true,
      // Compressed: fewer wire bytes than the payload itself.
      bytesPerMessage: plain.payloadPerMessage / 9,
    };
    point.groups = [{ ...plain, name: 'websocket', transport: 'websocket', resume: true }, deflate];
  }
  return summary;
}

describe('a sweep with two groups of one transport', () => {
  const summary = withDeflateGroup();

  it('is a valid summary', () => {
    expect(validateSummary(summary)).toEqual([]);
  });

  it('draws the further group beside its transport, darker, with a star and no prediction of its own', () => {
    const bytes = datasetsOf(chartFile(summary, 'sweep-bytes-per-message.png'));
    const labels = bytes.map((d) => d.label);
    expect(labels).toContain('websocket-deflate');
    expect(labels).not.toContain('websocket-deflate (predicted)');
    expect(labels).toContain('websocket (predicted)');
    const deflate = bytes.find((d) => d.label === 'websocket-deflate');
    expect(deflate?.borderColor).toBe(darken(TRANSPORT_COLORS.websocket, 0.35));
    expect((deflate as { pointStyle?: string }).pointStyle).toBe('star');
    const points = summary.sweep?.points ?? [];
    expect(deflate?.data).toEqual(
      points.map((p) => ({ x: p.value, y: p.groups?.find((g) => g.name === 'websocket-deflate')?.bytesPerMessage })),
    );
  });

  it('leaves it out of the overhead chart and says why', () => {
    const overhead = chartFile(summary, 'sweep-overhead.png');
    expect(datasetsOf(overhead).map((d) => d.label)).not.toContain('websocket-deflate');
    expect(subtitle(overhead)).toContain('websocket-deflate not drawn: compressed');
  });

  it('gives it a row after its transport at every point of the sweep table', () => {
    const lines = section(renderTable(summary, { color: false }), 'Sweep over');
    const labels = lines.map(cells).map((c) => (c.length > 3 && /^\d/.test(c[0] ?? '') ? c[1] : c[0]));
    const points = summary.sweep?.points.length ?? 0;
    expect(labels.filter((l) => l === 'websocket-deflate')).toHaveLength(points);
    labels.forEach((l, i) => {
      if (l === 'websocket-deflate') expect(labels[i - 1]).toBe('websocket');
    });
  });

  it('draws the same charts as before for a sweep without groups', () => {
    const before = chartConfigs(sweepSummary);
    const labels = (file: string) => datasetsOf(chartFile(sweepSummary, file)).map((d) => d.label);
    expect(before.every((c) => !JSON.stringify(c.config).includes('star'))).toBe(true);
    expect(labels('sweep-bytes-per-message.png')).not.toContain('websocket-deflate');
    expect(subtitle(chartFile(sweepSummary, 'sweep-overhead.png'))).not.toContain('not drawn');
  });

  it('renders the two curves in different colours in the PNG', async () => {
    const chart = chartFile(summary, 'sweep-bytes-per-message.png');
    const png = await renderPng(chart.config, { width: 900, height: 520 });
    if (process.env.SWEEP_GROUPS_PNG) await writeFile(process.env.SWEEP_GROUPS_PNG, png);
    const { data } = await pixels(png);
    const count = (color: string) => {
      // '#RRGGBB' or 'rgb(r, g, b)' (darken's)
      const [r, g, b] = color.startsWith('#')
        ? [1, 3, 5].map((i) => Number.parseInt(color.slice(i, i + 2), 16))
        : (color.match(/\d+/g) ?? []).map(Number);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b) n++;
      return n;
    };
    expect(count(TRANSPORT_COLORS.websocket)).toBeGreaterThan(50);
    expect(count(darken(TRANSPORT_COLORS.websocket, 0.35))).toBeGreaterThan(50);
  });
});
