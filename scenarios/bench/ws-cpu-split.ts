/**
 * Where the WebSocket row's CPU goes (`npm run bench` row `websocket-cpu`): the lab's WebSocket
 * fan-out against bare `ws` (bare-ws-server.ts), and optionally against the lab of another
 * checkout (`--before <dir>`), at the bench's load (500 clients, 40 msg/s, 256 B payload), with the
 * server's CPU per delivered message split per thread into user and system time
 * (/proc/<pid>/task/*, proc-meter.ts), interleaved rounds with the order flipped, medians.
 *
 *   npx tsx scenarios/bench/ws-cpu-split.ts [--rounds 5] [--seconds 3] [--clients 500] [--rate 40]
 *     [--before /path/to/other/checkout] [--perf]
 *
 * `--perf` starts every server with `--perf-basic-prof` and records `perf record -e cpu-clock` of
 * each server's last round into /tmp/ws-cpu-split-<server>.data (samples ÷ deliveries, per symbol,
 * gives µs per delivery; perf dilates everything, read ratios). A measurement: run it under the
 * measurement lock.
 */
import { execFileSync, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ControlClient as ServerApi } from '../../client/control.js';
import { type ChildServer, ROOT, startChild } from '../../tools/child-process.js';
import { readThreadsCpuSplitMs } from '../proc-meter.js';
import { LoadClient } from './load-handle.js';
import { ROUTE, SETTLE_MS } from './memory.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '500' },
    rate: { type: 'string', default: '40' },
    before: { type: 'string' },
    perf: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const rate = Number(values.rate);
const perfFlags = values.perf ? ['--perf-basic-prof'] : [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A lab, from this checkout or another one (`--before`: its own sources, this checkout's tsx). */
function startLab(root: string): Promise<ChildServer> {
  return startChild([
    ...perfFlags,
    '--import',
    'tsx',
    `${root}/server/main.ts`,
    '--port',
    '0',
    '--https-port',
    '0',
    '--paused',
  ]);
}

const servers = new Map<string, ChildServer>();
servers.set('lab', await startLab(ROOT));
if (values.before) servers.set('before', await startLab(values.before));
servers.set('bare ws', await startChild([...perfFlags, '--import', 'tsx', 'scenarios/bench/bare-ws-server.ts']));
const client = await LoadClient.start();

interface Row {
  user: number;
  system: number;
  other: number;
  deliveries: number;
}
const results = new Map<string, Row[]>();

async function phase(name: string, server: ChildServer, measure: boolean, perf: boolean): Promise<void> {
  const api = new ServerApi(server.url);
  const feed = await api.feed();
  await client.open('websocket', `${server.url}${ROUTE.websocket}`, clients, feed.head);
  await sleep(SETTLE_MS);
  await api.setFeed({ rate, payloadBytes: 256, mode: 'steady', running: true });
  await sleep(750);
  await client.measure();
  const before = readThreadsCpuSplitMs(server.pid);
  const recorder = perf
    ? spawn('perf', [
        ...['record', '-e', 'cpu-clock', '-F', '4000', '-g', '-p', String(server.pid)],
        ...['-o', `/tmp/ws-cpu-split-${name.replace(/\W/g, '')}.data`, '--', 'sleep', String(seconds)],
      ])
    : null;
  await sleep(seconds * 1000);
  const after = readThreadsCpuSplitMs(server.pid);
  const result = await client.result();
  await api.setFeed({ running: false });
  await client.close();
  if (recorder) await new Promise((resolve) => recorder.once('exit', resolve));
  await sleep(250);
  if (!measure) return;
  const row: Row = { user: 0, system: 0, other: 0, deliveries: result.deliveries };
  for (const [thread, split] of after) {
    const was = before.get(thread) ?? { userMs: 0, systemMs: 0 };
    const user = split.userMs - was.userMs;
    const system = split.systemMs - was.systemMs;
    if (thread === 'main (JS)') {
      row.user += user;
      row.system += system;
    } else row.other += user + system;
  }
  const list = results.get(name) ?? [];
  list.push(row);
  results.set(name, list);
  const per = (ms: number) => ((ms * 1000) / row.deliveries).toFixed(2);
  console.log(
    `${name.padEnd(8)} ${row.deliveries} deliveries: JS user ${per(row.user)} system ${per(row.system)}, other threads ${per(row.other)}, total ${per(row.user + row.system + row.other)} µs/delivery`,
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

try {
  console.log(
    `load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const names = [...servers.keys()];
  for (const name of names) await phase(name, servers.get(name) as ChildServer, false, false);
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? names : [...names].reverse();
    for (const name of order)
      await phase(name, servers.get(name) as ChildServer, true, values.perf && round === rounds);
    console.log(
      `round ${round} done, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  }
  const total = (r: Row) => ((r.user + r.system + r.other) * 1000) / r.deliveries;
  const bare = results.get('bare ws') ?? [];
  for (const [name, rows] of results) {
    const ratio = rows.map((r, i) => total(r) / total(bare[i] as Row));
    console.log(
      `${name.padEnd(8)} median: JS user ${median(rows.map((r) => (r.user * 1000) / r.deliveries)).toFixed(2)}` +
        ` system ${median(rows.map((r) => (r.system * 1000) / r.deliveries)).toFixed(2)}` +
        ` other ${median(rows.map((r) => (r.other * 1000) / r.deliveries)).toFixed(2)}` +
        ` total ${median(rows.map(total)).toFixed(2)} µs/delivery; vs bare ws ${median(ratio).toFixed(3)}×` +
        ` [${Math.min(...ratio).toFixed(2)}–${Math.max(...ratio).toFixed(2)}]`,
    );
  }
  if (values.perf)
    execFileSync('ls', ['-la', ...[...servers.keys()].map((n) => `/tmp/ws-cpu-split-${n.replace(/\W/g, '')}.data`)], {
      stdio: 'inherit',
    });
} finally {
  client.stop();
  await Promise.allSettled([...servers.values()].map((s) => s.stop()));
}
