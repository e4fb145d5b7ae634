/**
 * Writes a run's results directory (scenarios/README.md): summary.json, the source of truth, then the
 * PNG charts and report.html drawn from it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Summary } from '../summary.js';
import { chartConfigs } from './charts/index.js';
import { loadChartJsBundle, renderHtml } from './html.js';
import { renderPng } from './png.js';

/** Size of the PNG charts, in pixels (device pixel ratio 1). */
export const PNG_SIZE = { width: 1100, height: 620 } as const;

export interface WriteOptions {
  /**
   * Whether to write summary.json (default true). A re-render (rerender.ts) passes false: the
   * summary on disk is the source of truth and is never rewritten.
   */
  summary?: boolean;
}

/** Writes summary.json, one PNG per chart and report.html into `dir`; returns their paths. */
export async function writeReport(dir: string, summary: Summary, options: WriteOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const write = async (name: string, data: string | Buffer) => {
    const path = join(dir, name);
    await writeFile(path, data);
    written.push(path);
  };
  if (options.summary ?? true) await write('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  const charts = chartConfigs(summary);
  for (const chart of charts) await write(chart.file, await renderPng(chart.config, PNG_SIZE));
  await write('report.html', renderHtml(summary, charts, await loadChartJsBundle()));
  return written;
}
