/**
 * `npm run scenario -- <name> [options]`: run a scenario, print its tables and expectations,
 * write results/<name>/<timestamp>/. Exit 0 when every expectation holds, 1 when one fails,
 * 2 on a usage or scenario mistake (before anything starts), 3 when the run itself broke.
 *
 * Progress goes to stderr; with --json the summary goes to stdout and the tables to stderr.
 */
import { parseArgs } from 'node:util';
import { applyOverrides, type Overrides, type Scenario, ScenarioError } from './define.js';
import { networkNote } from './network-note.js';
import { DEFAULT_RESULTS_DIR, writeResults } from './output.js';
import { createProgress } from './progress.js';
import { renderTable } from './render/table/index.js';
import { combineRuns, repeatNote } from './repeat.js';
import { plannedMs, runScenario } from './run.js';

const USAGE = `usage: npm run scenario -- <name> [options]
       npm run scenario -- --list

options:
  --list              list the scenarios and what each shows
  --json              print the summary JSON on stdout (tables go to stderr)
  --clients <n>       clients per group (every transport), instead of the scenario's;
                      storm: the whole fleet (its groups are each transport's share)
  --rate <msg/s>      feed rate, instead of the scenario's
  --duration <time>   measurement window: 20 (seconds), 20s, 1500ms, 2m
  --network <profile> every group's network: loopback, lan, broadband, 4g, 3g, slow-3g,
                      satellite, lossy-wifi, buffering-proxy, idle-cut-proxy; parameters
                      after a ?, e.g. '3g?rttMs=300&lossPercent=1' (contract/networks.ts)
  --fetch <which>     the poll clients' fetch: node-http (default: undici's exact request
                      bytes at a fifth of its CPU, see tools/http-fetch.ts) or global
  --reconnect-wait <ms>  one explicit reconnect wait for every transport: the server's SSE
                      \`retry:\` and every lab client's first retry (no jitter); default:
                      retry: 1000 for SSE, a 0–250 ms full-jitter draw for the others
  --seed <n>          storm only: seeds every client's backoff draws (a fresh one is printed
                      when absent; the same seed replays them)
  --repeat <n>        run it n times (2–20) into ONE summary: each number the mean of the
                      runs, with every run's figures and the spread (scenarios/repeat.ts)
  --out <dir>         results folder (default: results/)
  --no-write          do not write results (print only)
  -h, --help          this text`;

class UsageError extends Error {}

export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new UsageError(`--duration: expected e.g. 20, 20s, 1500ms or 2m, got ${JSON.stringify(text)}`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  return unit === 'ms' ? value : unit === 'm' ? value * 60_000 : value * 1000;
}

function number(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new UsageError(`--${flag}: expected a number, got ${JSON.stringify(text)}`);
  return value;
}

/** Loaded inside main(): a mistake in a scenario file is then reported as one, not as a crash. */
async function library(): Promise<typeof import('./library/index.js')> {
  return import('./library/index.js');
}

function list(SCENARIOS: readonly Scenario[]): string {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  return `${SCENARIOS.map((s) => `${s.name.padEnd(width)}  ${s.description}`).join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      list: { type: 'boolean' },
      json: { type: 'boolean' },
      clients: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      network: { type: 'string' },
      out: { type: 'string' },
      fetch: { type: 'string' },
      repeat: { type: 'string' },
      seed: { type: 'string' },
      'reconnect-wait': { type: 'string' },
      'no-write': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { SCENARIOS, findScenario } = await library();
  if (values.list) {
    process.stdout.write(list(SCENARIOS));
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? 'which scenario? (--list shows them)'
        : `one scenario at a time, got ${positionals.join(' ')}`,
    );
  const name = positionals[0] as string;
  const base = findScenario(name);
  if (!base) throw new UsageError(`no scenario named ${JSON.stringify(name)}; --list shows them:\n${list(SCENARIOS)}`);

  const overrides: Overrides = {};
  const clients = number('clients', values.clients);
  const rate = number('rate', values.rate);
  if (clients !== undefined) overrides.clients = clients;
  if (rate !== undefined) overrides.rate = rate;
  if (values.duration !== undefined) overrides.durationMs = parseDuration(values.duration);
  if (values.network !== undefined) overrides.network = values.network;
  const wait = number('reconnect-wait', values['reconnect-wait']);
  if (wait !== undefined) overrides.reconnectWaitMs = wait;
  const scenario = applyOverrides(base, overrides);
  const fetch = values.fetch ?? 'node-http';
  if (fetch !== 'node-http' && fetch !== 'global')
    throw new UsageError(`--fetch: node-http or global, got ${JSON.stringify(fetch)}`);

  const seed = number('seed', values.seed);
  if (seed !== undefined && (!scenario.storm || !Number.isSafeInteger(seed)))
    throw new UsageError(
      scenario.storm ? `--seed: a whole number, got ${values.seed}` : '--seed: only a storm scenario draws at random',
    );
  const repeat = number('repeat', values.repeat) ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20)
    throw new UsageError(`--repeat: a whole number of runs from 1 to 20, got ${values.repeat}`);

  const runs: Awaited<ReturnType<typeof runScenario>>[] = [];
  for (let n = 1; n <= repeat; n++) {
    if (repeat > 1) process.stderr.write(`run ${n} of ${repeat}\n`);
    const progress = createProgress(plannedMs(scenario));
    try {
      runs.push(
        await runScenario(scenario, {
          progress,
          fetch,
          overrides: { ...overrides },
          ...(seed === undefined ? {} : { seed }),
        }),
      );
    } finally {
      progress.stop();
    }
  }
  const summary = runs.length === 1 ? (runs[0] as (typeof runs)[number]) : combineRuns(runs);

  const color = (values.json ? process.stderr : process.stdout).isTTY === true && !process.env.NO_COLOR;
  const table = renderTable(summary, { color }) + networkNote(summary) + repeatNote(summary);
  if (values.json) {
    process.stderr.write(table);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    process.stdout.write(table);
  }
  if (!values['no-write']) {
    const written = await writeResults(summary, values.out ?? DEFAULT_RESULTS_DIR);
    process.stderr.write(`results: ${written.dir}\n`);
  }
  return summary.expectations.every((e) => e.pass) ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Exiting runs tools/child-process.ts's exit hook, which stops the servers we started.
  process.once(signal, () => process.exit(130));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Keep-alive sockets and unref'd timers must not hold the process open.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      error instanceof ScenarioError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`scenario run failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 3;
    }
    setTimeout(() => process.exit(process.exitCode as number), 200).unref();
  },
);
