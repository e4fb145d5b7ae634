/**
 * Benchmark (a script, not a test): what the Redis broker costs one instance. The same clients
 * (WebSocket and SSE, connected straight to the instance) and the same feed, once with the memory
 * backend and once with `--redis`, alternating, ROUNDS times:
 * - server CPU per delivered message (utime+stime from /proc over the window ÷ deliveries counted
 *   by the server): the redis/memory ratio, against the 1.2× target;
 * - publish-to-delivery latency (event age = receivedAt − ts, both this machine's wall clock)
 *   p50/p99 per backend, and what Redis adds;
 * - Redis CPU per published message.
 * Like with like: with `--pin` (the default on a machine of 2 cores or more) the server gets core 0 to
 * itself and this process (the clients) and redis-server share core 1, in both runs. Unpinned, the
 * Redis run has a third busy process on the same two cores, and its context switches and cache misses
 * showed up as the server's own CPU per delivery (runs of 1.07× to 1.73× at the same code, 2026-11-30).
 * `npm run bench:broker [-- --rounds N --window-s S --profile DIR --no-write --no-pin]`; writes
 * results/broker-cost/<time>/summary.json and prints a table. `--profile DIR` starts each server with
 * `--cpu-prof` into DIR (one .cpuprofile per run: where the server's CPU goes, per backend); use it with
 * `--no-pin`: pinned, V8's sampling thread shares the server's one core and most samples are lost.
 * The machine is shared and has 2 cores: read the rounds side by side, not one number alone.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { LatencyHistogram } from '../../client/latency.js';
import { createClient } from '../../client/transports/index.js';
import type { FeedClient } from '../../client/transports/types.js';
import { startRedis } from '../../cluster/redis-process.js';
import { type FeedState, type StatsResponse, TRANSPORTS } from '../../contract/index.js';
import { startChild } from '../../tools/child-process.js';
import { machineInfo } from '../machine.js';
import { DEFAULT_RESULTS_DIR } from '../output.js';
import { readProc, readProcCounts, readThreadsCpuMs } from '../proc-meter.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    'window-s': { type: 'string', default: '10' },
    profile: { type: 'string' },
    'no-write': { type: 'boolean' },
    'no-pin': { type: 'boolean' },
  },
});
const PIN = !flags['no-pin'] && cpus().length >= 2;
const SETTINGS = {
  rounds: Number(flags.rounds),
  clients: { websocket: 40, sse: 40 },
  rate: 100,
  payloadBytes: 256,
  warmupMs: 2_000,
  windowMs: Number(flags['window-s']) * 1000,
  /** The server alone on core 0; the clients (this process) and redis-server on core 1. */
  pinned: PIN,
};
if (!Number.isInteger(SETTINGS.rounds) || SETTINGS.rounds < 1 || SETTINGS.rounds > 10 || !(SETTINGS.windowMs > 0)) {
  console.error('--rounds: an integer within 1…10; --window-s: seconds above 0');
  process.exit(2);
}
const LISTENING = /listening on (http:\/\/\S+) \(epoch (\w+)\)/;
/** No request of the benchmark waits longer than this: a stuck step fails the run with its name. */
const REQUEST_TIMEOUT_MS = 30_000;
/** The whole run's bound: 4 rounds of ~15 s plus process starts; past it, the run says where it was and exits 3. */
const RUN_TIMEOUT_MS = 10 * 60_000;
let step = 'starting';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  backend: 'memory' | 'redis';
  published: number;
  deliveries: number;
  serverCpuMs: number;
  serverCpuUsPerDelivery: number;
  /** The server's CPU over the window by thread (the JS thread, V8's helpers, libuv's pool), ms. */
  serverCpuByThreadMs: Record<string, number>;
  /**
   * Per delivery over the window: the server's read and write system calls (/proc/<pid>/io) and its
   * context switches (/proc/<pid>/status): how the same deliveries reach the kernel in each backend.
   */
  serverPerDelivery: { readCalls: number; writeCalls: number; voluntarySwitches: number; involuntarySwitches: number };
  latencyMs: { p50: number; p99: number; count: number };
  redisCpuMs: number | null;
  redisCpuUsPerPublished: number | null;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function runOnce(backend: 'memory' | 'redis', redis: { url: string; pid: number | undefined }): Promise<Run> {
  const profile = flags.profile ? ['--cpu-prof', '--cpu-prof-dir', flags.profile] : [];
  const args = [...profile, '--import', 'tsx', 'server/main.ts', '--port', '0', '--https-port', '0', '--paused'];
  if (backend === 'redis') args.push('--redis', redis.url, '--instance', 'bench');
  step = `${backend}: starting the server`;
  const server = await startChild(args, LISTENING, {}, 90_000);
  if (PIN) pin(server.pid, 0);
  const clients: FeedClient[] = [];
  let latency = new LatencyHistogram();
  try {
    const feed = await json<FeedState>(`${server.url}/api/feed`);
    for (const [transport, count] of Object.entries(SETTINGS.clients) as ['websocket' | 'sse', number][]) {
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
      body: JSON.stringify({ rate: SETTINGS.rate, payloadBytes: SETTINGS.payloadBytes, running: true }),
    });
    step = `${backend}: warm-up`;
    await sleep(SETTINGS.warmupMs);
    const read = async () => {
      const stats = await json<StatsResponse>(`${server.url}/api/stats`);
      const state = await json<FeedState>(`${server.url}/api/feed`);
      return {
        deliveries: TRANSPORTS.reduce((sum, t) => sum + stats.transports[t].messages, 0),
        head: state.head,
        cpuMs: readProc(server.pid)?.cpuMs ?? 0,
        threads: readThreadsCpuMs(server.pid),
        counts: readProcCounts(server.pid),
        redisCpuMs: backend === 'redis' ? (readProc(redis.pid ?? 0)?.cpuMs ?? 0) : null,
      };
    };
    const before = await read();
    latency = new LatencyHistogram();
    step = `${backend}: measuring`;
    await sleep(SETTINGS.windowMs);
    const after = await read();
    const deliveries = after.deliveries - before.deliveries;
    const published = after.head - before.head;
    const serverCpuMs = after.cpuMs - before.cpuMs;
    const serverCpuByThreadMs: Record<string, number> = {};
    for (const [name, ms] of after.threads) {
      const spent = ms - (before.threads.get(name) ?? 0);
      if (spent > 0) serverCpuByThreadMs[name] = spent;
    }
    const redisCpuMs =
      after.redisCpuMs === null || before.redisCpuMs === null ? null : after.redisCpuMs - before.redisCpuMs;
    const summary = latency.summary();
    type Count = 'readCalls' | 'writeCalls' | 'voluntarySwitches' | 'involuntarySwitches';
    const perDelivery = (key: Count) => ((after.counts?.[key] ?? 0) - (before.counts?.[key] ?? 0)) / deliveries;
    return {
      backend,
      published,
      deliveries,
      serverCpuMs,
      serverCpuUsPerDelivery: (serverCpuMs * 1000) / deliveries,
      serverCpuByThreadMs,
      serverPerDelivery: {
        readCalls: perDelivery('readCalls'),
        writeCalls: perDelivery('writeCalls'),
        voluntarySwitches: perDelivery('voluntarySwitches'),
        involuntarySwitches: perDelivery('involuntarySwitches'),
      },
      latencyMs: { p50: summary.p50, p99: summary.p99, count: summary.count },
      redisCpuMs,
      redisCpuUsPerPublished: redisCpuMs === null ? null : (redisCpuMs * 1000) / published,
    };
  } finally {
    step = `${backend}: stopping clients and server`;
    for (const client of clients) client.stop();
    await server.stop('SIGTERM', 5_000);
  }
}

/** Every thread of `pid` onto one core (taskset, util-linux). */
function pin(pid: number | undefined, core: number): void {
  if (pid === undefined) throw new Error('cannot pin a process without a pid');
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench:broker did not finish within ${RUN_TIMEOUT_MS / 60_000} min; stuck at: ${step}`);
    process.exit(3);
  }, RUN_TIMEOUT_MS);
  watchdog.unref();
  const loadAverageAtStart = loadavg().map((value) => Math.round(value * 100) / 100);
  const startedAt = new Date().toISOString();
  const redis = await startRedis();
  if (PIN) {
    pin(process.pid, 1);
    pin(redis.pid, 1);
  }
  const runs: Run[] = [];
  try {
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      for (const backend of ['memory', 'redis'] as const) {
        console.log(`round ${round}/${SETTINGS.rounds}: ${backend}…`);
        runs.push(await runOnce(backend, redis));
      }
    }
  } finally {
    await redis.remove();
  }
  const of = (backend: 'memory' | 'redis') => runs.filter((r) => r.backend === backend);
  const cpuMemory = median(of('memory').map((r) => r.serverCpuUsPerDelivery));
  const cpuRedis = median(of('redis').map((r) => r.serverCpuUsPerDelivery));
  const result = {
    startedAt,
    machine: {
      ...machineInfo(),
      loadAverageAtStart,
      note: 'A shared 2-core machine: server, clients and redis-server share the cores. Read the rounds side by side.',
    },
    settings: SETTINGS,
    runs,
    medians: {
      serverCpuUsPerDelivery: { memory: cpuMemory, redis: cpuRedis, ratio: cpuRedis / cpuMemory, target: 1.2 },
      latencyMs: {
        memory: {
          p50: median(of('memory').map((r) => r.latencyMs.p50)),
          p99: median(of('memory').map((r) => r.latencyMs.p99)),
        },
        redis: {
          p50: median(of('redis').map((r) => r.latencyMs.p50)),
          p99: median(of('redis').map((r) => r.latencyMs.p99)),
        },
      },
      redisCpuUsPerPublished: median(of('redis').map((r) => r.redisCpuUsPerPublished ?? 0)),
    },
  };
  const added = {
    p50: result.medians.latencyMs.redis.p50 - result.medians.latencyMs.memory.p50,
    p99: result.medians.latencyMs.redis.p99 - result.medians.latencyMs.memory.p99,
  };
  const full = { ...result, addedLatencyMs: added };
  const timestamp = startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const dir = join(DEFAULT_RESULTS_DIR, 'broker-cost', timestamp);
  if (!flags['no-write']) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(full, null, 2)}\n`);
    writeFileSync(
      join(DEFAULT_RESULTS_DIR, 'broker-cost', 'latest.json'),
      `${JSON.stringify({ scenario: 'broker-cost', timestamp, startedAt, summary: `${timestamp}/summary.json` }, null, 2)}\n`,
    );
  }
  console.log('\nbackend  published  deliveries  server CPU µs/delivery  age p50 ms  age p99 ms  Redis CPU µs/publish');
  for (const r of runs) {
    console.log(
      `${r.backend.padEnd(7)}  ${String(r.published).padStart(9)}  ${String(r.deliveries).padStart(10)}  ${r.serverCpuUsPerDelivery.toFixed(2).padStart(22)}  ${r.latencyMs.p50.toFixed(2).padStart(10)}  ${r.latencyMs.p99.toFixed(2).padStart(10)}  ${r.redisCpuUsPerPublished === null ? '—' : r.redisCpuUsPerPublished.toFixed(1)}`,
    );
  }
  console.log('\nserver CPU by thread over the window, ms:');
  for (const r of runs) {
    const threads = Object.entries(r.serverCpuByThreadMs).sort((a, b) => b[1] - a[1]);
    const c = r.serverPerDelivery;
    console.log(
      `${r.backend.padEnd(7)}  ${threads.map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ')}; per delivery: write calls ${c.writeCalls.toFixed(3)}, read calls ${c.readCalls.toFixed(3)}, context switches ${c.voluntarySwitches.toFixed(3)} + ${c.involuntarySwitches.toFixed(3)} involuntary`,
    );
  }
  const m = result.medians;
  console.log(
    `\nmedian server CPU per delivery: memory ${cpuMemory.toFixed(2)} µs, redis ${cpuRedis.toFixed(2)} µs → ${m.serverCpuUsPerDelivery.ratio.toFixed(2)}× (target ≤ 1.2×: ${m.serverCpuUsPerDelivery.ratio <= 1.2 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `added publish-to-delivery latency through Redis: p50 ${added.p50.toFixed(2)} ms, p99 ${added.p99.toFixed(2)} ms`,
  );
  console.log(`Redis CPU per published message: ${m.redisCpuUsPerPublished.toFixed(1)} µs`);
  console.log(flags['no-write'] ? 'not written (--no-write)' : `Wrote ${dir}/summary.json`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
