/**
 * `npm run fuzz -- [--runs 10000] [--seed S] [--only http|ws]`: the full-size fuzz runs (issue 15,
 * item 3) — test/fuzz/http-requests.fuzz.test.ts (raw HTTP request lines, headers and query strings
 * on every route) and test/fuzz/ws-frames.fuzz.test.ts (WebSocket frame sequences), each with
 * `--runs` inputs (fast-check samples of 10), through vitest with FUZZ_RUNS / FUZZ_SEED. The seed is
 * printed (a fresh one when absent) and replays every input: `npm run fuzz -- --seed S`. Each test
 * writes its tally (test/fuzz/report.ts); this prints them and writes results/fuzz/<time>/summary.json.
 * Exit 0 when every fuzz test held, 1 when one failed (its counterexample is in vitest's output).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../tools/child-process.js';

const TARGETS = {
  http: { name: 'http-requests', file: 'test/fuzz/http-requests.fuzz.test.ts' },
  ws: { name: 'ws-frames', file: 'test/fuzz/ws-frames.fuzz.test.ts' },
} as const;
const PER_SAMPLE = 10;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    only: { type: 'string' },
    'no-write': { type: 'boolean' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < PER_SAMPLE)
  throw new Error(`fuzz: --runs must be a whole number ≥ ${PER_SAMPLE}`);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
if (!Number.isSafeInteger(seed)) throw new Error('fuzz: --seed must be an integer');
const only = values.only === undefined ? (['http', 'ws'] as const) : ([values.only] as ('http' | 'ws')[]);
for (const t of only) if (!(t in TARGETS)) throw new Error(`fuzz: --only http or ws, got ${t}`);

const samples = Math.ceil(runs / PER_SAMPLE);
const startedAt = new Date();
const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
console.log(
  `fuzz seed ${seed}, ${samples * PER_SAMPLE} inputs per target (replay: npm run fuzz -- --runs ${runs} --seed ${seed})`,
);
const reportDir = mkdtempSync(join(tmpdir(), 'fuzz-'));
const results: Record<string, unknown> = {};
let failed = 0;
for (const key of only) {
  const target = TARGETS[key];
  console.log(`${target.name}: ${samples} samples × ${PER_SAMPLE} …`);
  const run = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', target.file], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_RUNS: String(samples), FUZZ_SEED: String(seed), FUZZ_REPORT_DIR: reportDir },
  });
  const file = join(reportDir, `${target.name}.json`);
  const held = run.status === 0 && existsSync(file);
  if (!held) failed += 1;
  results[target.name] = held
    ? { held: true, ...JSON.parse(readFileSync(file, 'utf8')) }
    : { held: false, exitCode: run.status, note: 'a property failed: the counterexample is in the output above' };
}
rmSync(reportDir, { recursive: true, force: true });

console.log('');
for (const [name, r] of Object.entries(results) as [string, Record<string, unknown>][]) {
  if (!r.held) {
    console.log(`✗ ${name}: FAILED (vitest exit ${r.exitCode})`);
    continue;
  }
  const answers = Object.entries(r.answers as Record<string, number>)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ×${n.toLocaleString('en-US')}`)
    .join(', ');
  const by = r.bystander as { messages: number };
  console.log(
    `✓ ${name}: ${(r.inputs as number).toLocaleString('en-US')} inputs in ${((r.durationMs as number) / 1000).toFixed(0)} s — ${answers}; bystander ${by.messages} messages gap-free`,
  );
}
if (!values['no-write']) {
  const dir = join(
    ROOT,
    'results',
    'fuzz',
    startedAt
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replaceAll(':', '-'),
  );
  mkdirSync(dir, { recursive: true });
  const summary = {
    kind: 'fuzz',
    startedAt: startedAt.toISOString(),
    command: `npm run fuzz -- --runs ${runs} --seed ${seed}${values.only ? ` --only ${values.only}` : ''}`,
    seed,
    inputsPerTarget: samples * PER_SAMPLE,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    passed: failed === 0,
    targets: results,
  };
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`results: ${dir}/summary.json`);
}
process.exit(failed === 0 ? 0 : 1);
