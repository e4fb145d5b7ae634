/**
 * Where a run's results go (DESIGN.md §5): `results/<scenario>/<timestamp>/` holds summary.json,
 * the PNG charts and report.html (written by render/write.ts), and `results/<scenario>/latest.json`
 * names the newest folder (a file, not a symlink: it survives git and every OS).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ROOT } from '../tools/child-process.js';
import { writeReport } from './render/write.js';
import type { Summary } from './summary.js';

export const DEFAULT_RESULTS_DIR = join(ROOT, 'results');

export interface Written {
  dir: string;
  files: string[];
}

/** `2025-11-25T14:40:00.123Z` → `2025-11-25T14-40-00Z`: sortable, and legal on every file system. */
export function folderName(startedAt: string): string {
  return startedAt.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
}

export async function writeResults(summary: Summary, resultsDir = DEFAULT_RESULTS_DIR): Promise<Written> {
  const scenarioDir = join(resultsDir, summary.scenario);
  let name = folderName(summary.startedAt);
  for (let n = 2; existsSync(join(scenarioDir, name)); n++) name = `${folderName(summary.startedAt)}-${n}`;
  const dir = join(scenarioDir, name);
  await mkdir(dir, { recursive: true });
  const files = await writeReport(dir, summary);
  const latest = {
    scenario: summary.scenario,
    timestamp: name,
    startedAt: summary.startedAt,
    summary: `${name}/summary.json`,
    report: `${name}/report.html`,
  };
  await writeFile(join(scenarioDir, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
  return { dir, files: files.map((f) => relative(process.cwd(), f)) };
}
