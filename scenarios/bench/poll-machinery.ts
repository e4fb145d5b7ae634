/**
 * What each piece of Fastify machinery costs a short poll (`npm run bench:poll-machinery`): bare
 * node:http, bare Fastify, bare Fastify plus the lab's hooks, its query schema, its security
 * headers, all three, and the lab itself with its fast lane (server/fast-lane.ts) and without
 * (and, with `--before <checkout>`, the lab of another checkout), each its own process, answering
 * the same one-message body with the same headers (checked first, scenarios/bench/poll-parity.ts).
 * Interleaved rounds of `wrk -t1 -c<n>`, the order flipped every round; the server's CPU per poll
 * from /proc/<pid>/stat; medians. A benchmark: run it under the measurement lock on an idle
 * machine; it asserts nothing.
 *
 *   npm run bench:poll-machinery -- --rounds 5 --seconds 2 [--before /path/to/other/checkout]
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ChildServer, startChild, startLabServer } from '../../tools/child-process.js';
import { type CpuSplit, readProc, readThreadsCpuSplitMs } from '../proc-meter.js';
import { checkParity, oneMessagePollRoute, readAnswer } from './poll-parity.js';
import { median } from './rows.js';
import { BENCH_POLL_LIMIT } from './run.js';
import { runWrk } from './wrk.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    before: { type: 'string' },
    only: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);

/** The server's CPU so far, ms (every thread, from /proc). */
const cpuMs = (pid: number): number => readProc(pid)?.cpuMs ?? Number.NaN;
/**
 * The JS thread's user and system CPU so far, ms (/proc/<pid>/task/<pid>/stat): user is the
 * JavaScript and what it makes V8 and Node's C++ do, system the kernel's work for its reads and
 * writes. Where a gap to a baseline sits, without a profiler.
 */
const jsThreadMs = (pid: number): CpuSplit =>
  readThreadsCpuSplitMs(pid).get('main (JS)') ?? { userMs: Number.NaN, systemMs: Number.NaN };

const started: ChildServer[] = [];
const stopAll = () => Promise.allSettled(started.map((s) => s.stop()));
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

try {
  const labArgs = ['--poll-rate-limit', String(BENCH_POLL_LIMIT)];
  const lab = await startLabServer({ args: labArgs });
  started.push(lab);
  const route = await oneMessagePollRoute(lab.url);
  const labAnswer = await readAnswer(new URL(route, lab.url).toString());
  const env = { BASELINE_BODY: labAnswer.body, BASELINE_HEADERS: JSON.stringify(labAnswer.headers) };
  const servers: [string, ChildServer, string][] = [];
  const bare = async (name: string, script: string, extra: Record<string, string> = {}) => {
    const server = await startChild(['--import', 'tsx', script], undefined, { ...env, ...extra });
    started.push(server);
    servers.push([name, server, route]);
  };
  await bare('node:http', 'scenarios/baseline-server.ts');
  await bare('Fastify', 'scenarios/fastify-baseline-server.ts');
  const machinery = 'scenarios/bench/fastify-machinery-server.ts';
  for (const pieces of ['hook1', 'hooks', 'schema', 'headers', 'hook1,schema,headers', 'hooks,schema,headers'])
    await bare(`F+${pieces.replaceAll(',', '+')}`, machinery, { MACHINERY: pieces });
  servers.push(['lab', lab, route]);
  // The same lab with every poll through Fastify (no fast lane, server/fast-lane.ts).
  const slow = await startLabServer({ args: [...labArgs, '--no-fast-lane'] });
  started.push(slow);
  servers.push(['lab (no fast lane)', slow, await oneMessagePollRoute(slow.url)]);
  if (values.before) {
    const other = await startChild(
      ['--import', 'tsx', join(values.before, 'server/main.ts'), '--port', '0', '--https-port', '0', '--paused'].concat(
        labArgs,
      ),
    );
    started.push(other);
    servers.push(['lab before', other, await oneMessagePollRoute(other.url)]);
  }
  const only = values.only?.split(',');
  const measured = only ? servers.filter(([name]) => only.includes(name)) : servers;
  for (const [name, server, path] of measured) {
    const answer = await readAnswer(new URL(path, server.url).toString());
    if (name.startsWith('lab')) {
      if (answer.status !== 200) throw new Error(`${name} answered ${answer.status}`);
    } else checkParity(name, labAnswer, answer);
    await runWrk(new URL(path, server.url).toString(), connections, 1); // warm-up
  }
  type Row = { rps: number[]; us: number[]; user: number[]; system: number[] };
  const rows = new Map<string, Row>(measured.map(([n]) => [n, { rps: [], us: [], user: [], system: [] }]));
  const loads: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    loads.push(loadavg()[0] as number);
    const line: string[] = [];
    // The order flipped every round, so no server always runs right after the same one.
    for (const [name, server, path] of round % 2 === 1 ? measured : [...measured].reverse()) {
      const before = cpuMs(server.pid);
      const js = jsThreadMs(server.pid);
      const run = await runWrk(new URL(path, server.url).toString(), connections, seconds);
      if (run.errors > 0) throw new Error(`${name}: wrk saw ${run.errors} errors`);
      const perPoll = (ms: number) => (ms * 1000) / run.requests;
      const us = perPoll(cpuMs(server.pid) - before);
      const jsAfter = jsThreadMs(server.pid);
      const row = rows.get(name) as Row;
      row.rps.push(run.requests / run.seconds);
      row.us.push(us);
      row.user.push(perPoll(jsAfter.userMs - js.userMs));
      row.system.push(perPoll(jsAfter.systemMs - js.systemMs));
      line.push(`${name} ${Math.round(run.requests / run.seconds)}/s ${us.toFixed(1)}µs`);
    }
    process.stderr.write(`round ${round}/${rounds} (load ${loads.at(-1)?.toFixed(2)}): ${line.join(' | ')}\n`);
  }
  const f = rows.get('Fastify');
  const node = rows.get('node:http');
  const fRps = f ? median(f.rps) : Number.NaN;
  const nRps = node ? median(node.rps) : Number.NaN;
  const fUs = f ? median(f.us) : Number.NaN;
  console.log(
    `\nwrk -t1 -c${connections} -d${seconds}s, ${rounds} rounds, load ${loads.map((l) => l.toFixed(2)).join(' ')}`,
  );
  // user/system: the JS thread's alone, µs per poll (the rest of `CPU` is libuv's and V8's other threads).
  console.log(
    'server                   polls/s   ×Fastify  ×node:http  CPU µs/poll  +µs vs Fastify  JS user  JS system',
  );
  for (const [name, row] of rows) {
    const rps = median(row.rps);
    const us = median(row.us);
    console.log(
      `${name.padEnd(24)} ${rps.toFixed(0).padStart(7)}   ${(rps / fRps).toFixed(2).padStart(6)}×  ${(rps / nRps).toFixed(2).padStart(8)}×  ${us.toFixed(1).padStart(10)}  ${(us - fUs).toFixed(1).padStart(12)}  ${median(row.user).toFixed(1).padStart(7)}  ${median(row.system).toFixed(1).padStart(9)}`,
    );
  }
} finally {
  await stopAll();
}
