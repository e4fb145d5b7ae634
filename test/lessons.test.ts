/**
 * The lab book cannot drift from the data: every number it quotes from a reference result is
 * written `<span data-check="<scenario>:<path in summary.json>:<decimals>">value</span>` and is
 * checked here against the committed `results/<scenario>/latest.json` → `summary.json`; every
 * picture it shows exists; every command it gives runs (scenario names are real, curl commands
 * run against a real lab), and no placeholder is left.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at } from '../contract/present.js';
import { findScenario } from '../scenarios/library/index.js';
import { publishMany, type Running, startLab } from './harness.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BOOK = readFileSync(`${ROOT}LESSONS.md`, 'utf8');
const run = promisify(execFile);

function summaryOf(scenario: string): Record<string, unknown> {
  const latest = JSON.parse(readFileSync(`${ROOT}results/${scenario}/latest.json`, 'utf8'));
  return JSON.parse(readFileSync(`${ROOT}results/${scenario}/${latest.summary}`, 'utf8'));
}

function valueAt(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
}

/** How the book writes a number: fixed decimals, thousands separated by commas. */
function formatQuoted(value: number, decimals: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

const checks = [...BOOK.matchAll(/<span data-check="([a-z0-9-]+):([^":]+):(\d+)">([^<]*)<\/span>/g)].map((m) => ({
  scenario: at(m, 1, 'data-check'),
  path: at(m, 2, 'data-check'),
  decimals: Number(m[3]),
  quoted: at(m, 4, 'data-check'),
}));

describe('LESSONS.md numbers', () => {
  it('quotes numbers from the reference results (and checks them all)', () => {
    expect(checks.length).toBeGreaterThan(20);
  });

  it.each(checks.map((c) => [`${c.scenario} ${c.path} = ${c.quoted}`, c] as const))('%s', (_name, check) => {
    const value = valueAt(summaryOf(check.scenario), check.path);
    expect(typeof value, `${check.scenario}:${check.path} in summary.json`).toBe('number');
    expect(check.quoted).toBe(formatQuoted(value as number, check.decimals));
  });

  it('leaves no placeholder', () => {
    expect(BOOK).not.toMatch(/RESULTS:|TODO|TBD|XXX/);
  });
});

describe('LESSONS.md pictures', () => {
  const images = [...BOOK.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => at(m, 1, 'image'));
  it('shows charts from results/ and screenshots', () => {
    expect(images.filter((src) => src.startsWith('results/')).length).toBeGreaterThan(5);
  });
  it.each(images)('%s exists', (src) => {
    expect(existsSync(`${ROOT}${src}`)).toBe(true);
  });
});

describe('LESSONS.md commands', () => {
  const lines = [...BOOK.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => at(m, 1, 'sh block').trim().split('\n'));
  let lab: Running;
  beforeAll(async () => {
    lab = await startLab();
    await publishMany(lab.url, 3);
  });
  afterAll(() => lab.close());

  it('every command is one this test knows how to check', () => {
    const unknown = lines.filter(
      (line) => !/^(npm (install|start|test|run scenario|run example:|run bench:)|curl |node -e )/.test(line),
    );
    expect(unknown).toEqual([]);
  });

  it.each(lines.filter((line) => line.startsWith('npm run scenario -- ')))('%s names a real scenario', (line) => {
    const name = at(line.replace('npm run scenario -- ', '').split(' '), 0, 'command');
    if (name === '--list') return;
    expect(findScenario(name), name).toBeDefined();
  });

  // Long-running ones (servers, benchmarks) are not run here: their scripts must exist, and
  // test/examples.test.ts runs the examples.
  const scripts = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).scripts as Record<string, string>;
  it.each(lines.filter((line) => /^npm run (example|bench):/.test(line)))('%s is an npm script', (line) => {
    const name = line.replace(/^npm run /, '').split(' ')[0] ?? '';
    expect(scripts[name], name).toBeDefined();
  });

  it.each(lines.filter((line) => /^(curl|node -e) /.test(line)))('%s runs', async (line) => {
    // Against a real lab on its own port; streams are cut after a moment (curl -m), as Ctrl-C would.
    const command = line.replaceAll('127.0.0.1:3000', `127.0.0.1:${lab.port}`).replace(/^curl /, 'curl -m 1 ');
    const { stdout } = await run('bash', ['-c', `${command}; true`], { timeout: 10_000 });
    expect(stdout.length).toBeGreaterThan(0);
  });
});
