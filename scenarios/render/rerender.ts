/**
 * Re-draws the charts and report.html of results already written, from their summary.json
 * alone, after the renderers changed:
 *
 *   npx tsx scenarios/render/rerender.ts results/<scenario>/<timestamp> [...]
 *   npx tsx scenarios/render/rerender.ts results          # every run under it
 *   npm run render -- results/fan-out
 *
 * A folder holding summary.json is a run; any other folder is searched for runs. summary.json
 * is read and checked (validate.ts), never written: its bytes are compared before and after,
 * and a difference is an error. PNGs of charts the renderers no longer draw are removed.
 * Exit codes: 0 every run re-rendered, 1 some failed, 2 nothing to do (bad arguments).
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeBenchReport } from '../bench/report.js';
import { isBenchSummary } from '../bench/summary.js';
import { assertSummary } from '../validate.js';
import { chartConfigs } from './charts/index.js';
import { writeReport } from './write.js';

/** Every run folder (one holding summary.json) at or under `path`, sorted. */
export async function findRuns(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) throw new Error(`${path} is not a folder`);
  const entries = await readdir(path, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && e.name === 'summary.json')) return [path];
  const runs: string[] = [];
  for (const e of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name)))
    runs.push(...(await findRuns(join(path, e.name))));
  return runs;
}

export interface Rerendered {
  dir: string;
  written: string[];
  removed: string[];
}

/** Re-renders one run folder; throws if summary.json is invalid or its bytes changed. */
export async function rerender(dir: string): Promise<Rerendered> {
  const file = join(dir, 'summary.json');
  const before = await readFile(file);
  const summary: unknown = JSON.parse(before.toString('utf8'));
  // A benchmark's folder (scenarios/bench/) has its own summary shape and charts.
  if (isBenchSummary(summary)) return { dir, written: await writeBenchReport(dir, summary, false), removed: [] };
  assertSummary(summary);
  const written = await writeReport(dir, summary, { summary: false });
  const after = await readFile(file);
  if (!before.equals(after)) throw new Error(`${file} changed while re-rendering: it must stay byte-identical`);
  const charts = new Set(chartConfigs(summary).map((c) => c.file));
  const removed: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.endsWith('.png') && !charts.has(name)) {
      await rm(join(dir, name));
      removed.push(join(dir, name));
    }
  }
  return { dir, written, removed };
}

async function main(args: string[]): Promise<number> {
  if (args.length === 0 || args.some((a) => a === '--help' || a === '-h')) {
    process.stderr.write('usage: npx tsx scenarios/render/rerender.ts <results folder or run folder> [...]\n');
    return 2;
  }
  const runs: string[] = [];
  for (const arg of args) {
    try {
      runs.push(...(await findRuns(arg)));
    } catch (error) {
      process.stderr.write(`✗ ${arg}: ${(error as Error).message}\n`);
      return 2;
    }
  }
  if (runs.length === 0) {
    process.stderr.write(`no summary.json under ${args.join(', ')}\n`);
    return 2;
  }
  let failed = 0;
  for (const dir of runs) {
    try {
      const { written, removed } = await rerender(dir);
      const pngs = written.filter((w) => w.endsWith('.png')).length;
      const gone = removed.length > 0 ? `; removed ${removed.map((r) => relative(dir, r)).join(', ')}` : '';
      process.stdout.write(`✓ ${dir}: ${pngs} charts and report.html${gone}\n`);
    } catch (error) {
      failed += 1;
      process.stderr.write(`✗ ${dir}: ${(error as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2));
}
