/**
 * Benchmark (a script, not a test): what the Redis broker costs one instance. The same clients
 * (half WebSocket, half SSE, connected straight to the instance) and the same feed, with the memory
 * backend, with `--redis`, and with a CONTROL, mode `control` (the memory backend plus one awaited
 * PING to the same redis-server before each publish: round-trip-control.ts), interleaved, ROUNDS times,
 * at each load of `--loads` (default 80 clients × 100 msg/s, the 1.2× target's row, and 500 × 40, the
 * lab's standard bench load):
 * - server CPU per delivered message (utime+stime from /proc over the window ÷ deliveries counted
 *   by the server), user and system apart, per thread: the redis/memory ratio per load, ✓/✗ against 1.2×;
 * - the cost as a model, fitted over the loads: µs of server CPU per publish (fixed) + per delivery;
 *   the control says how much of the difference one round trip per publish alone makes;
 * - publish-to-delivery latency (event age = receivedAt − ts, both this machine's wall clock)
 *   p50/p99 per backend, and what Redis adds;
 * - Redis CPU and commands per published message.
 * Like with like: with `--pin` (the default on a machine of 2 cores or more) the server gets core 0 to
 * itself and this process (the clients) and redis-server share core 1, in every run. Unpinned, the
 * Redis run has a third busy process on the same two cores, and its context switches and cache misses
 * showed up as the server's own CPU per delivery (runs of 1.07× to 1.73× at the same code, 2026-11-30).
 * `npm run bench:broker [-- --rounds N --window-s S --loads 80x100,500x40 --no-control --baseline DIR
 * --profile DIR --no-write --no-pin]`; writes results/broker-cost/<time>/summary.json and prints a table. `--profile
 * DIR` starts each server with `--cpu-prof` into DIR (one .cpuprofile per run); use it with `--no-pin`:
 * pinned, V8's sampling thread shares the server's one core and most samples are lost.
 * The machine is shared and has 2 cores: read the rounds side by side, not one number alone. The
 * fixed part of the model also holds what the server does per second (stats, heartbeats) divided by
 * the rate, and the two loads differ in rate: read it as "per publish at these rates".
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EventSource } from 'eventsource';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { LatencyHistogram } from '../../client/latency.js';
import { createClient } from '../../client/transports/index.js';
import type { FeedClient } from '../../client/transports/types.js';
import { startRedis } from '../../cluster/redis-process.js';
import { type FeedState, type StatsResponse, TRANSPORTS } from '../../contract/index.js';
import { startChild } from '../../tools/child-process.js';
import { median } from '../bench/rows.js';
import { machineInfo } from '../machine.js';
import { DEFAULT_RESULTS_DIR } from '../output.js';
import {
  type CpuSplit,
  pinToCore,
  readProc,
  readProcCounts,
  readProcCpuSplit,
  readThreadsCpuSplitMs,
} from '../proc-meter.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'window-s': { type: 'string', default: '10' },
    loads: { type: 'string', default: '80x100,500x40' },
    'no-control': { type: 'boolean' },
    baseline: { type: 'string' },
    profile: { type: 'string' },
    'no-write': { type: 'boolean' },
    'no-pin': { type: 'boolean' },
  },
});
const PIN = !flags['no-pin'] && cpus().length >= 2;

/** A fan-out: `clients` streams (half WebSocket, half SSE) at `rate` messages/s. */
interface Load {
  clients: number;
  rate: number;
}
const LOADS: Load[] = (flags.loads ?? '').split(',').map((text) => {
  const [clients, rate] = text.split('x').map(Number);
  return { clients: clients ?? Number.NaN, rate: rate ?? Number.NaN };
});
/**
 * `memory` and `redis` are the two backends; `control` is the memory backend plus
 * one awaited PING to the same redis-server before each publish (round-trip-control.ts).
 */
type Mode = 'memory' | 'control' | 'redis' | 'redis@baseline';
/**
 * `--baseline DIR` adds `redis@baseline`: the Redis backend of another checkout (DIR/server/main.ts,
 * e.g. `git worktree add /tmp/base main` with node_modules linked in), run in the same rounds: an A/B of
 * a change to the broker's code, interleaved, on the same machine state.
 */
const BASELINE = flags.baseline ? resolve(flags.baseline) : null;
const MODES: Mode[] = [
  'memory',
  ...(flags['no-control'] ? [] : (['control'] as const)),
  ...(BASELINE ? (['redis@baseline'] as const) : []),
  'redis',
];
const SETTINGS = {
  rounds: Number(flags.rounds),
  /** The first load is the one the 1.2× target and Lab 13 read (`medians`); every load gets its row. */
  loads: LOADS,
  transports: 'half WebSocket, half SSE',
  modes: MODES,
  baseline: BASELINE,
  payloadBytes: 256,
  warmupMs: 2_000,
  windowMs: Number(flags['window-s']) * 1000,
  /** The server alone on core 0; the clients (this process) and redis-server on core 1. */
  pinned: PIN,
};
const validLoad = (l: Load) =>
  Number.isInteger(l.clients) && l.clients >= 2 && l.clients <= 2_000 && l.rate > 0 && l.rate <= 1_000;
if (
  !Number.isInteger(SETTINGS.rounds) ||
  SETTINGS.rounds < 1 ||
  SETTINGS.rounds > 10 ||
  !(SETTINGS.windowMs > 0) ||
  LOADS.length < 1 ||
  !LOADS.every(validLoad)
) {
  console.error(
    '--rounds: an integer within 1…10; --window-s: seconds above 0; --loads: CLIENTSxRATE[,…], e.g. 80x100,500x40',
  );
  process.exit(2);
}
const LISTENING = /listening on (http:\/\/\S+) \(epoch (\w+)\)/;
/** No request of the benchmark waits longer than this: a stuck step fails the run with its name. */
const REQUEST_TIMEOUT_MS = 30_000;
/** The whole run's bound; past it, the run says where it was and exits 3. */
const RUN_TIMEOUT_MS = 20 * 60_000;
let step = 'starting';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  round: number;
  clients: number;
  rate: number;
  /** Which backend, or the control (`backend` stays the field's name for older readers.) */
  backend: Mode;
  published: number;
  deliveries: number;
  serverCpuMs: number;
  serverCpuUsPerDelivery: number;
  serverCpuUsPerPublished: number;
  /** The server's user and system CPU over the window (every thread), ms. */
  serverCpuSplitMs: CpuSplit;
  /** The server's CPU over the window by thread (the JS thread, V8's helpers, libuv's pool), ms. */
  serverCpuByThreadMs: Record<string, number>;
  /** The same, user and system apart. */
  serverCpuByThreadSplitMs: Record<string, CpuSplit>;
  /**
   * Per delivery over the window: the server's read and write system calls (/proc/<pid>/io) and its
   * context switches (/proc/<pid>/status): how the same deliveries reach the kernel in each backend.
   */
  serverPerDelivery: { readCalls: number; writeCalls: number; voluntarySwitches: number; involuntarySwitches: number };
  latencyMs: { p50: number; p99: number; count: number };
  redisCpuMs: number | null;
  redisCpuUsPerPublished: number | null;
  /** Commands Redis ran over the window per published message (the control: its PINGs). */
  redisCommandsPerPublished: number;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Commands redis-server has run so far (INFO stats), read on a connection of our own. */
async function redisCommands(admin: Redis): Promise<number> {
  const info = await admin.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

async function runOnce(
  mode: Mode,
  load: Load,
  round: number,
  redis: { url: string; pid: number | undefined },
  admin: Redis,
): Promise<Run> {
  const profile = flags.profile ? ['--cpu-prof', '--cpu-prof-dir', flags.profile] : [];
  const control = mode === 'control' ? ['--import', './scenarios/broker-cost/round-trip-control.ts'] : [];
  const args = [
    ...profile,
    '--import',
    'tsx',
    ...control,
    ...[mode === 'redis@baseline' ? join(BASELINE as string, 'server/main.ts') : 'server/main.ts'],
    ...['--port', '0', '--https-port', '0', '--paused'],
  ];
  if (mode === 'redis' || mode === 'redis@baseline') args.push('--redis', redis.url, '--instance', 'bench');
  const env: Record<string, string> = mode === 'control' ? { BROKER_COST_ROUND_TRIP: redis.url } : {};
  step = `${mode} ${load.clients}×${load.rate}: starting the server`;
  const server = await startChild(args, LISTENING, env, 90_000);
  if (mode === 'control' && !server.output().includes('round-trip control:')) {
    await server.stop('SIGTERM', 5_000);
    throw new Error(`the control did not load: ${server.output().slice(-1000)}`);
  }
  if (PIN) pinToCore(server.pid, 0);
  const clients: FeedClient[] = [];
  let latency = new LatencyHistogram();
  try {
    const feed = await json<FeedState>(`${server.url}/api/feed`);
    const split = { websocket: Math.ceil(load.clients / 2), sse: Math.floor(load.clients / 2) };
    for (const [transport, count] of Object.entries(split) as ['websocket' | 'sse', number][]) {
      for (let i = 0; i < count; i++) {
        const client = createClient(transport, {
          baseUrl: server.url,
          clientId: `${transport}-${i}`,
          resume: true,
          cursor: { epoch: feed.epoch, seq: feed.head },
          WebSocket: WebSocket as never,
          EventSource: EventSource as never,
        });
        client.on('message', (message, _raw, receivedAt) => latency.recordAge(receivedAt, message.ts));
        client.start();
        clients.push(client);
      }
    }
    await json(`${server.url}/api/feed`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate: load.rate, payloadBytes: SETTINGS.payloadBytes, running: true }),
    });
    step = `${mode} ${load.clients}×${load.rate}: warm-up`;
    await sleep(SETTINGS.warmupMs);
    const read = async () => {
      const stats = await json<StatsResponse>(`${server.url}/api/stats`);
      const state = await json<FeedState>(`${server.url}/api/feed`);
      return {
        deliveries: TRANSPORTS.reduce((sum, t) => sum + stats.transports[t].messages, 0),
        head: state.head,
        cpuMs: readProc(server.pid)?.cpuMs ?? 0,
        split: readProcCpuSplit(server.pid) ?? { userMs: 0, systemMs: 0 },
        threads: readThreadsCpuSplitMs(server.pid),
        counts: readProcCounts(server.pid),
        redisCpuMs: mode === 'memory' ? null : (readProc(redis.pid ?? 0)?.cpuMs ?? 0),
        redisCommands: await redisCommands(admin),
      };
    };
    const before = await read();
    latency = new LatencyHistogram();
    step = `${mode} ${load.clients}×${load.rate}: measuring`;
    await sleep(SETTINGS.windowMs);
    const after = await read();
    const deliveries = after.deliveries - before.deliveries;
    const published = after.head - before.head;
    const serverCpuMs = after.cpuMs - before.cpuMs;
    const serverCpuByThreadMs: Record<string, number> = {};
    const serverCpuByThreadSplitMs: Record<string, CpuSplit> = {};
    for (const [name, split] of after.threads) {
      const was = before.threads.get(name) ?? { userMs: 0, systemMs: 0 };
      const spent = { userMs: split.userMs - was.userMs, systemMs: split.systemMs - was.systemMs };
      if (spent.userMs + spent.systemMs <= 0) continue;
      serverCpuByThreadMs[name] = spent.userMs + spent.systemMs;
      serverCpuByThreadSplitMs[name] = spent;
    }
    const redisCpuMs =
      after.redisCpuMs === null || before.redisCpuMs === null ? null : after.redisCpuMs - before.redisCpuMs;
    const summary = latency.summary();
    type Count = 'readCalls' | 'writeCalls' | 'voluntarySwitches' | 'involuntarySwitches';
    const perDelivery = (key: Count) => ((after.counts?.[key] ?? 0) - (before.counts?.[key] ?? 0)) / deliveries;
    return {
      round,
      clients: load.clients,
      rate: load.rate,
      backend: mode,
      published,
      deliveries,
      serverCpuMs,
      serverCpuUsPerDelivery: (serverCpuMs * 1000) / deliveries,
      serverCpuUsPerPublished: (serverCpuMs * 1000) / published,
      serverCpuSplitMs: {
        userMs: after.split.userMs - before.split.userMs,
        systemMs: after.split.systemMs - before.split.systemMs,
      },
      serverCpuByThreadMs,
      serverCpuByThreadSplitMs,
      serverPerDelivery: {
        readCalls: perDelivery('readCalls'),
        writeCalls: perDelivery('writeCalls'),
        voluntarySwitches: perDelivery('voluntarySwitches'),
        involuntarySwitches: perDelivery('involuntarySwitches'),
      },
      latencyMs: { p50: summary.p50, p99: summary.p99, count: summary.count },
      redisCpuMs,
      redisCpuUsPerPublished: redisCpuMs === null ? null : (redisCpuMs * 1000) / published,
      // Our own two INFO calls are in the count: take them off.
      redisCommandsPerPublished: (after.redisCommands - before.redisCommands - 1) / published,
    };
  } finally {
    step = `${mode} ${load.clients}×${load.rate}: stopping clients and server`;
    for (const client of clients) client.stop();
    await server.stop('SIGTERM', 5_000);
  }
}

/** Least squares of y = fixed + perUnit · x over the points (at least two distinct x). */
function fitLine(points: { x: number; y: number }[]): { fixed: number; perUnit: number } | null {
  const n = points.length;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / n;
  const my = points.reduce((sum, p) => sum + p.y, 0) / n;
  const sxx = points.reduce((sum, p) => sum + (p.x - mx) ** 2, 0);
  if (n < 2 || sxx === 0) return null;
  const perUnit = points.reduce((sum, p) => sum + (p.x - mx) * (p.y - my), 0) / sxx;
  return { fixed: my - perUnit * mx, perUnit };
}

const TARGET = 1.2;

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench:broker did not finish within ${RUN_TIMEOUT_MS / 60_000} min; stuck at: ${step}`);
    process.exit(3);
  }, RUN_TIMEOUT_MS);
  watchdog.unref();
  const loadAverageAtStart = loadavg().map((value) => Math.round(value * 100) / 100);
  const startedAt = new Date().toISOString();
  const redis = await startRedis();
  const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  if (PIN) {
    pinToCore(process.pid, 1);
    pinToCore(redis.pid, 1);
  }
  const runs: Run[] = [];
  const total = SETTINGS.rounds * LOADS.length * MODES.length;
  try {
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      for (const load of LOADS) {
        for (const mode of MODES) {
          console.log(
            `[${String(runs.length + 1).padStart(2)}/${total}] round ${round}/${SETTINGS.rounds}: ${load.clients} clients × ${load.rate} msg/s, ${mode}…`,
          );
          runs.push(await runOnce(mode, load, round, redis, admin));
        }
      }
    }
  } finally {
    admin.disconnect();
    await redis.remove();
  }
  const loadAverageAtEnd = loadavg().map((value) => Math.round(value * 100) / 100);
  const of = (mode: Mode, load: Load) =>
    runs.filter((r) => r.backend === mode && r.clients === load.clients && r.rate === load.rate);
  const med = (mode: Mode, load: Load, value: (r: Run) => number) => median(of(mode, load).map(value));
  const rows = LOADS.map((load) => {
    const perMode = Object.fromEntries(
      MODES.map((mode) => [
        mode,
        {
          serverCpuUsPerDelivery: med(mode, load, (r) => r.serverCpuUsPerDelivery),
          serverCpuUsPerPublished: med(mode, load, (r) => r.serverCpuUsPerPublished),
          deliveriesPerPublished: med(mode, load, (r) => r.deliveries / r.published),
          userUsPerDelivery: med(mode, load, (r) => (r.serverCpuSplitMs.userMs * 1000) / r.deliveries),
          systemUsPerDelivery: med(mode, load, (r) => (r.serverCpuSplitMs.systemMs * 1000) / r.deliveries),
          latencyMs: { p50: med(mode, load, (r) => r.latencyMs.p50), p99: med(mode, load, (r) => r.latencyMs.p99) },
          redisCpuUsPerPublished: mode === 'memory' ? null : med(mode, load, (r) => r.redisCpuUsPerPublished ?? 0),
        },
      ]),
    ) as Record<Mode, RowCell>;
    const memory = perMode.memory.serverCpuUsPerDelivery;
    const ratio = perMode.redis.serverCpuUsPerDelivery / memory;
    const control = perMode.control;
    return {
      clients: load.clients,
      rate: load.rate,
      perMode,
      ratio,
      /** The control's ratio: what one awaited round trip per publish alone costs the memory backend. */
      controlRatio: control ? control.serverCpuUsPerDelivery / memory : null,
      /** With --baseline: this checkout's Redis backend ÷ the baseline's (below 1: the change saves CPU). */
      baselineRatio: perMode['redis@baseline']
        ? perMode.redis.serverCpuUsPerDelivery / perMode['redis@baseline'].serverCpuUsPerDelivery
        : null,
      /** Per-round ratios, redis/memory of the same round: the spread. */
      roundRatios: Array.from({ length: SETTINGS.rounds }, (_, i) => {
        const m = of('memory', load)[i];
        const r = of('redis', load)[i];
        return m && r ? r.serverCpuUsPerDelivery / m.serverCpuUsPerDelivery : Number.NaN;
      }),
      met: ratio <= TARGET,
    };
  });
  // The cost as a model: server CPU per publish = fixed + per delivery × deliveries per publish.
  const model = Object.fromEntries(
    MODES.map((mode) => {
      const fit = fitLine(
        rows.map((row) => ({
          x: row.perMode[mode].deliveriesPerPublished,
          y: row.perMode[mode].serverCpuUsPerPublished,
        })),
      );
      return [mode, fit && { usPerPublish: fit.fixed, usPerDelivery: fit.perUnit }];
    }),
  ) as Record<Mode, { usPerPublish: number; usPerDelivery: number } | null>;
  const first = rows[0] as (typeof rows)[number];
  const result = {
    startedAt,
    machine: {
      ...machineInfo(),
      loadAverageAtStart,
      loadAverageAtEnd,
      note: 'A shared 2-core machine: server, clients and redis-server share the cores. Read the rounds side by side.',
    },
    settings: SETTINGS,
    runs,
    /** The first load (80 clients × 100 msg/s unless --loads says otherwise): the 1.2× target's row. */
    medians: {
      serverCpuUsPerDelivery: {
        memory: first.perMode.memory.serverCpuUsPerDelivery,
        redis: first.perMode.redis.serverCpuUsPerDelivery,
        ratio: first.ratio,
        target: TARGET,
      },
      latencyMs: { memory: first.perMode.memory.latencyMs, redis: first.perMode.redis.latencyMs },
      redisCpuUsPerPublished: first.perMode.redis.redisCpuUsPerPublished ?? 0,
    },
    addedLatencyMs: {
      p50: first.perMode.redis.latencyMs.p50 - first.perMode.memory.latencyMs.p50,
      p99: first.perMode.redis.latencyMs.p99 - first.perMode.memory.latencyMs.p99,
    },
    /** Every load's row: each mode's medians, redis/memory (✓ at ≤ 1.2×) and the control's ratio. */
    loads: rows,
    /** Fitted over the loads (null with one load): µs of server CPU per publish and per delivery, per mode. */
    model,
  };
  const timestamp = startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const dir = join(DEFAULT_RESULTS_DIR, 'broker-cost', timestamp);
  if (!flags['no-write']) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(
      join(DEFAULT_RESULTS_DIR, 'broker-cost', 'latest.json'),
      `${JSON.stringify({ scenario: 'broker-cost', timestamp, startedAt, summary: `${timestamp}/summary.json` }, null, 2)}\n`,
    );
  }
  const f = (value: number, digits = 1, width = 8) => value.toFixed(digits).padStart(width);
  console.log(
    '\nround  load      backend       published  deliveries  µs/delivery  user+sys µs/deliv  µs/publish  age p50  age p99  Redis cmds/pub  Redis µs/pub',
  );
  for (const r of runs) {
    const cpu = r.serverCpuSplitMs;
    console.log(
      `${String(r.round).padStart(5)}  ${`${r.clients}×${r.rate}`.padEnd(8)}  ${r.backend.padEnd(12)}  ${String(r.published).padStart(9)}  ${String(r.deliveries).padStart(10)}  ${f(r.serverCpuUsPerDelivery, 2, 11)}  ${`${((cpu.userMs * 1000) / r.deliveries).toFixed(1)} + ${((cpu.systemMs * 1000) / r.deliveries).toFixed(1)}`.padStart(17)}  ${f(r.serverCpuUsPerPublished, 0, 10)}  ${f(r.latencyMs.p50, 2, 7)}  ${f(r.latencyMs.p99, 2, 7)}  ${f(r.redisCommandsPerPublished, 2, 14)}  ${r.redisCpuUsPerPublished === null ? '—'.padStart(12) : f(r.redisCpuUsPerPublished, 0, 12)}`,
    );
  }
  console.log('\nserver CPU by thread over the window, ms (user + system):');
  for (const r of runs) {
    const threads = Object.entries(r.serverCpuByThreadSplitMs).sort(
      (a, b) => b[1].userMs + b[1].systemMs - (a[1].userMs + a[1].systemMs),
    );
    const c = r.serverPerDelivery;
    console.log(
      `${String(r.round).padStart(2)} ${`${r.clients}×${r.rate}`.padEnd(7)} ${r.backend.padEnd(12)} ${threads.map(([name, t]) => `${name} ${t.userMs.toFixed(0)}+${t.systemMs.toFixed(0)}`).join(', ')}; per delivery: write calls ${c.writeCalls.toFixed(3)}, read calls ${c.readCalls.toFixed(3)}, context switches ${c.voluntarySwitches.toFixed(3)} + ${c.involuntarySwitches.toFixed(3)} involuntary`,
    );
  }
  console.log(`\nmedians (${SETTINGS.rounds} rounds; target: redis ≤ ${TARGET}× memory in server CPU per delivery):`);
  for (const row of rows) {
    const cell = (mode: Mode) => {
      const c = row.perMode[mode];
      return `${mode} ${c.serverCpuUsPerDelivery.toFixed(2)} µs (${c.userUsPerDelivery.toFixed(1)} user + ${c.systemUsPerDelivery.toFixed(1)} system)`;
    };
    const control =
      (row.controlRatio === null ? '' : `; control ${row.controlRatio.toFixed(2)}×`) +
      (row.baselineRatio === null ? '' : `; redis ÷ baseline ${row.baselineRatio.toFixed(2)}×`);
    console.log(
      `${row.met ? '✓' : '✗'} ${row.clients} clients × ${row.rate} msg/s: ${MODES.map(cell).join(', ')} → redis ${row.ratio.toFixed(2)}×${control} (rounds ${row.roundRatios.map((x) => x.toFixed(2)).join('/')}); added age p50 ${(row.perMode.redis.latencyMs.p50 - row.perMode.memory.latencyMs.p50).toFixed(2)} ms, p99 ${(row.perMode.redis.latencyMs.p99 - row.perMode.memory.latencyMs.p99).toFixed(2)} ms; Redis CPU ${(row.perMode.redis.redisCpuUsPerPublished ?? 0).toFixed(0)} µs per publish`,
    );
  }
  if (model.memory && model.redis) {
    console.log('\nmodel, server CPU per publish = fixed + per delivery × deliveries (fitted over the loads):');
    for (const mode of MODES) {
      const m = model[mode];
      if (m)
        console.log(
          `  ${mode.padEnd(12)} ${f(m.usPerPublish, 0, 6)} µs per publish + ${f(m.usPerDelivery, 2, 6)} µs per delivery`,
        );
    }
    console.log(
      `  redis − memory: ${(model.redis.usPerPublish - model.memory.usPerPublish).toFixed(0)} µs per publish, ${(model.redis.usPerDelivery - model.memory.usPerDelivery).toFixed(2)} µs per delivery`,
    );
    const baseline = model['redis@baseline'];
    if (baseline)
      console.log(
        `  redis − redis@baseline: ${(model.redis.usPerPublish - baseline.usPerPublish).toFixed(0)} µs per publish, ${(model.redis.usPerDelivery - baseline.usPerDelivery).toFixed(2)} µs per delivery`,
      );
    const control = model.control;
    if (control)
      console.log(
        `  control − memory (the round trip alone): ${(control.usPerPublish - model.memory.usPerPublish).toFixed(0)} µs per publish, ${(control.usPerDelivery - model.memory.usPerDelivery).toFixed(2)} µs per delivery`,
      );
  }
  console.log(`load average ${loadAverageAtStart.join(' ')} at the start, ${loadAverageAtEnd.join(' ')} at the end`);
  console.log(flags['no-write'] ? 'not written (--no-write)' : `Wrote ${dir}/summary.json`);
}

interface RowCell {
  serverCpuUsPerDelivery: number;
  serverCpuUsPerPublished: number;
  deliveriesPerPublished: number;
  userUsPerDelivery: number;
  systemUsPerDelivery: number;
  latencyMs: { p50: number; p99: number };
  redisCpuUsPerPublished: number | null;
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
