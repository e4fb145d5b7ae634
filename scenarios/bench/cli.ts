/**
 * `npm run bench [-- options]`: the lab against bare Node on every transport (run.ts), the goal
 * table on stdout with ✓/✗ per row, results in results/bench/<timestamp>/. A benchmark, not a
 * test: it asserts nothing and exits 0 whenever the run completed (1 if it broke), whether or
 * not the goals were met — the table says that.
 *
 *   npm run bench                       # 5 rounds, about 7 minutes on 2 cores
 *   npm run bench -- --rounds 1 --crowd 200 --load 100 --no-write    # a quick look
 *   npm run bench -- --memory-only      # the RSS and heap rows alone, about a minute
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RESULTS_DIR } from '../output.js';
import { createProgress } from '../progress.js';
import { painter, renderModel } from '../render/table/terminal.js';
import { writeBenchResults } from './report.js';
import { type BenchParams, DEFAULT_PARAMS, runBench } from './run.js';
import { benchTables, verdictLine } from './tables.js';

const USAGE = `usage: npm run bench [-- options]

options (defaults in brackets):
  --rounds <n>        interleaved rounds, the ratios' median is over these [${DEFAULT_PARAMS.rounds}]
  --load <n>          WebSocket and SSE clients of the CPU rows [${DEFAULT_PARAMS.load}]
  --rate <msg/s>      feed rate of the CPU rows [${DEFAULT_PARAMS.rate}]
  --crowd <n>         clients of the p99 rows [${DEFAULT_PARAMS.crowd}]; the issue's p99 row is at 2000
  --idle <n>          connections measured by the memory rows, each in a fresh server [${DEFAULT_PARAMS.idle}]
  --memory-only       only the memory rows (RSS and heap per idle connection); the other rows stay empty
  --measure <s>       seconds per measurement [${DEFAULT_PARAMS.measureS}]
  --out <dir>         results folder [results/]
  --no-write          print only
  -h, --help          this text`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      load: { type: 'string' },
      rate: { type: 'string' },
      crowd: { type: 'string' },
      idle: { type: 'string' },
      'memory-only': { type: 'boolean' },
      measure: { type: 'string' },
      out: { type: 'string' },
      'no-write': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const params: BenchParams = { ...DEFAULT_PARAMS, memoryOnly: values['memory-only'] === true };
  const numeric: [Exclude<keyof BenchParams, 'memoryOnly'>, string | undefined][] = [
    ['rounds', values.rounds],
    ['load', values.load],
    ['rate', values.rate],
    ['crowd', values.crowd],
    ['idle', values.idle],
    ['measureS', values.measure],
  ];
  for (const [key, text] of numeric) {
    if (text === undefined) continue;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) {
      process.stderr.write(`--${key}: expected a positive number, got ${JSON.stringify(text)}\n${USAGE}\n`);
      return 2;
    }
    params[key] = value;
  }
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  // About a minute a round on 2 idle cores at the defaults, more with a bigger crowd; the memory
  // phases about 30 s a round at 2 000 idle connections (mostly process starts).
  const memoryMs = 20_000 + params.idle * 5;
  const progress = createProgress(
    params.rounds * (params.memoryOnly ? memoryMs : 60_000 + params.crowd * 15 + memoryMs),
  );
  let summary: Awaited<ReturnType<typeof runBench>>;
  try {
    summary = await runBench(params, progress, command);
  } finally {
    progress.stop();
  }
  const paint = painter(process.stdout.isTTY === true);
  process.stdout.write(
    `${benchTables(summary)
      .map((t) => renderModel(t, paint))
      .join('\n\n')}\n\n`,
  );
  process.stdout.write(`${verdictLine(summary)}\n`);
  if (!values['no-write']) {
    const dir = await writeBenchResults(summary, values.out ?? DEFAULT_RESULTS_DIR);
    process.stdout.write(
      `results: ${relative(process.cwd(), dir)}/ (summary.json, ratios.png, rounds.png, report.html)\n`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`bench broke: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  },
);
