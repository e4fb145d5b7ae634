/**
 * The lab book and its answer key cannot drift from the data. Their sources are docs/lessons/*.md
 * and docs/lessons/answers/*.md; every number quoted from a reference result is a placeholder
 * (`{{<scenario>:<path in summary.json>:<decimals>}}` or a derived form, docs/lessons/README.md)
 * that `npm run lessons` fills in from the committed `results/<scenario>/latest.json` →
 * `summary.json`. Here: each placeholder names a number that exists; LESSONS.md and
 * docs/answers.md are exactly a fresh render (a moved number or an edited source makes them
 * stale); every picture they show exists; every command they give runs (scenario names are real,
 * curl commands run against a real lab); and they read in a terminal (lines ≤ 120 outside tables).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findScenario } from '../scenarios/library/index.js';
import { BOOKS, numberFor, placeholdersOf, ROOT, render } from '../scripts/lessons/render.js';
import { publishMany, type Running, startLab } from './harness.js';

const run = promisify(execFile);
const [LAB_BOOK, ANSWER_KEY] = BOOKS;
const BOOK = readFileSync(`${ROOT}LESSONS.md`, 'utf8');

describe.each(BOOKS.map((book) => [book.output, book] as const))('%s', (_output, book) => {
  const placeholders = placeholdersOf(book);
  const committed = existsSync(`${ROOT}${book.output}`) ? readFileSync(`${ROOT}${book.output}`, 'utf8') : '';

  it('quotes numbers from the reference results (and checks them all)', () => {
    expect(placeholders.length).toBeGreaterThan(book === LAB_BOOK ? 100 : 40);
  });

  it.each(placeholders.map(({ file, placeholder }) => [`${file} {{${placeholder.raw}}}`, placeholder] as const))(
    '%s names a number',
    (_name, placeholder) => {
      expect(Number.isFinite(numberFor(placeholder))).toBe(true);
    },
  );

  it('is a fresh render of its sources (else: npm run lessons)', () => {
    expect(committed === render(book), `${book.output} is stale: run npm run lessons and commit it`).toBe(true);
  });

  it('leaves no placeholder, span or TODO', () => {
    expect(committed).not.toMatch(/\{\{|data-check|RESULTS:|TODO|TBD|XXX/);
  });

  it('keeps lines to 120 characters outside tables', () => {
    const long = committed.split('\n').filter((line) => !line.startsWith('|') && [...line].length > 120);
    expect(long).toEqual([]);
  });

  const images = [...committed.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1] ?? '');
  it.each(images.map((src) => [src]))('%s exists', (src) => {
    expect(existsSync(`${ROOT}${src.replace(/^\.\.\//, '')}`)).toBe(true);
  });
});

describe('LESSONS.md pictures', () => {
  it('shows charts from results/ and screenshots', () => {
    const images = [...BOOK.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1] ?? '');
    expect(images.filter((src) => src.startsWith('results/')).length).toBeGreaterThan(5);
  });
});

describe('docs/answers.md', () => {
  it('has an answer section for every lab of the book', () => {
    const answers = readFileSync(`${ROOT}${ANSWER_KEY?.output}`, 'utf8');
    const labs = [...BOOK.matchAll(/^## Lab (\d+)\b/gm)].map((m) => m[1]);
    const answered = [...answers.matchAll(/^## Lab (\d+)\b/gm)].map((m) => m[1]);
    expect(answered).toEqual(labs);
  });
});

describe('LESSONS.md commands', () => {
  const lines = [...BOOK.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').trim().split('\n'));
  let lab: Running;
  beforeAll(async () => {
    lab = await startLab();
    await publishMany(lab.url, 3);
  });
  afterAll(() => lab.close());

  it('every command is one this test knows how to check', () => {
    const unknown = lines.filter(
      (line) =>
        !/^(npm (install|start|test|run scenario|run lessons|run example:|run bench:|run cluster|run scale-out)|curl |node -e |printf )/.test(
          line,
        ),
    );
    expect(unknown).toEqual([]);
  });

  it.each(lines.filter((line) => line.startsWith('npm run scenario -- ')))('%s names a real scenario', (line) => {
    const name = line.replace('npm run scenario -- ', '').split(' ')[0] ?? '';
    if (name === '--list') return;
    expect(findScenario(name), name).toBeDefined();
  });

  // Long-running ones (servers, benchmarks) are not run here: their scripts must exist, and
  // test/examples.test.ts runs the examples.
  const scripts = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).scripts as Record<string, string>;
  it.each(lines.filter((line) => /^npm run ((example|bench):|cluster\b|scale-out\b)/.test(line)))(
    '%s is an npm script',
    (line) => {
      const name = line.replace(/^npm run /, '').split(' ')[0] ?? '';
      expect(scripts[name], name).toBeDefined();
    },
  );

  it.each(lines.filter((line) => /^(curl|node -e|printf) /.test(line)))('%s runs', async (line) => {
    // Against a real lab on its own port; streams are cut after a moment (curl -m), as Ctrl-C would.
    const command = line.replaceAll('127.0.0.1:3000', `127.0.0.1:${lab.port}`).replace(/^curl /, 'curl -m 1 ');
    const { stdout } = await run('bash', ['-c', `${command}; true`], { timeout: 10_000 });
    expect(stdout.length).toBeGreaterThan(0);
  });
});
