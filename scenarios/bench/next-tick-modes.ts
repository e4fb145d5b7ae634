/**
 * What one `process.nextTick` costs, in fresh processes of four kinds: bare Node, bare Fastify after
 * `ready()`, and the lab's app after `ready()` built without and with the warm-up server/main.ts runs
 * first (server/warm-next-tick.ts; nothing listens, no request is made). Each child times `--batch`
 * calls 30 times, after 50 batches to warm up, and reports its median in ns per call.
 *
 *   npx tsx scenarios/bench/next-tick-modes.ts [--runs 16] [--batch 10000] [--node-flags=--no-allocation-site-pretenuring]
 *
 * Why it exists: the bench's short-poll profile shows Node's tick objects built through V8's runtime
 * (Runtime_DefineKeyedOwnPropertyInLiteral, MigrateToMap). A process lands in one of three modes:
 * ~23 ns a call, ~45 ns (every kind of process, now and then), or ~300 ns — seen only in the lab
 * built without the warm-up, in about a quarter of those processes, and in none of them once V8's
 * allocation-site pretenuring is off (`--node-flags`). The modes are counted per kind; `--node-flags`
 * goes to every child.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { warmNextTick } from '../../server/warm-next-tick.js';

const KINDS = ['bare node', 'bare fastify', 'lab, not warmed', 'lab, warmed as server/main.ts does'] as const;
type Kind = (typeof KINDS)[number];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '6' },
    batch: { type: 'string', default: '10000' },
    child: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
  },
});

async function bootKind(kind: Kind): Promise<void> {
  if (kind === 'bare fastify') {
    const { default: Fastify } = await import('fastify');
    await Fastify().ready();
  } else if (kind === 'lab, not warmed' || kind === 'lab, warmed as server/main.ts does') {
    // The app is built here, not through server/main.ts, so that the warm-up can be left out.
    if (kind === 'lab, warmed as server/main.ts does') await warmNextTick();
    const { buildApp } = await import('../../server/app.js');
    await (await buildApp({ logger: false } as never)).ready();
  }
}

async function timeTicks(batch: number): Promise<number> {
  const noop = () => {};
  const batchNs = async () => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) process.nextTick(noop);
    const ns = Number(process.hrtime.bigint() - started) / batch;
    await new Promise((resolve) => setImmediate(resolve));
    return ns;
  };
  for (let i = 0; i < 50; i++) await batchNs();
  const samples: number[] = [];
  for (let i = 0; i < 30; i++) samples.push(await batchNs());
  samples.sort((a, b) => a - b);
  return samples[15] as number;
}

if (values.child) {
  await bootKind(values.child as Kind);
  const ns = await timeTicks(Number(values.batch));
  if (process.send) process.send(ns, () => process.exit(0));
  else console.log(`${values.child}: ${ns.toFixed(1)} ns per process.nextTick`);
} else {
  const runs = Number(values.runs);
  const results = new Map<Kind, number[]>(KINDS.map((kind) => [kind, []]));
  // Interleaved: one process of each kind per round, so a noisy minute hits every kind.
  for (let round = 1; round <= runs; round++) {
    for (const kind of KINDS) {
      const child = fork(fileURLToPath(import.meta.url), ['--child', kind, '--batch', String(values.batch)], {
        execArgv: ['--import', 'tsx', ...(values['node-flags'] ?? '').split(' ').filter(Boolean)],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      const [ns] = (await once(child, 'message')) as [number];
      await once(child, 'exit');
      results.get(kind)?.push(ns);
    }
    process.stderr.write(`round ${round}/${runs}\r`);
  }
  process.stderr.write('\n');
  const width = Math.max(...KINDS.map((kind) => kind.length));
  const flags = values['node-flags'] ? ` (node ${values['node-flags']})` : '';
  console.log(`ns per process.nextTick, median of 30 batches of ${values.batch}, one fresh process per value${flags}:`);
  for (const [kind, ns] of results) {
    const sorted = [...ns].sort((a, b) => a - b);
    const modes = [
      ns.filter((v) => v < 35).length,
      ns.filter((v) => v >= 35 && v < 150).length,
      ns.filter((v) => v >= 150).length,
    ];
    const row = sorted.map((v) => v.toFixed(0).padStart(4)).join(' ');
    console.log(`  ${kind.padEnd(width)}  ${row}   < 35 ns: ${modes[0]}, 35–150: ${modes[1]}, ≥ 150: ${modes[2]}`);
  }
}
