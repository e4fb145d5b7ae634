/**
 * `npx tsx scripts/bench/shaper.ts [--connections 2000] [--network 3g] [--seconds 20]`
 *
 * Can the shaper carry the fan-out scenario's 2 000 connections under 3g without being what sets
 * the delay? This process runs only the shaping proxy (tools/tcp-proxy.ts with the profile);
 * the server and the clients are another process (shaper-peer.ts). Measured here, over the
 * window: the event-loop delay of the shaper's thread (p50/p99/max), its CPU (this process:
 * nothing else runs in it), and how late its own deliveries were against their schedule.
 * The issue's bar: loop delay p99 under 5 ms. Writes results/shaper-bench/<timestamp>.json.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseNetworkSpec } from '../../contract/networks.js';
import { latenessPercentile } from '../../tools/shaper.js';
import { startProxy } from '../../tools/tcp-proxy.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '2000' },
    network: { type: 'string', default: '3g' },
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '2' },
    bytes: { type: 'string', default: '256' },
    out: { type: 'string', default: 'results/shaper-bench' },
  },
});
let network: ReturnType<typeof parseNetworkSpec>;
try {
  network = parseNetworkSpec(values.network);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const bytes = Number(values.bytes);

const peer = fork(new URL('./shaper-peer.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
const next = async <T>(key: string): Promise<T> => {
  for (;;) {
    const [message] = (await once(peer, 'message')) as [Record<string, unknown>];
    if (key in message) return message as T;
  }
};
const { serverPort } = await next<{ serverPort: number }>('serverPort');
const proxy = await startProxy({ upstreamPort: serverPort, network, seed: 1 });
process.stderr.write(
  `shaper on ${network.name}: ${connections} connections, ${rate} msg/s of ${bytes} B, ${seconds} s\n`,
);
peer.send({ start: { connections, rate, bytes, proxyPort: proxy.port } });
await next('started');
// Every connection open (at most a minute on a busy machine), then a moment to settle.
const openBy = performance.now() + 60_000;
while (proxy.open < connections && performance.now() < openBy) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 2_000));

const openAtStart = proxy.open;
const loop = monitorEventLoopDelay({ resolution: 10 });
const from = { ...proxy.shaper, lateness: [...proxy.shaper.lateness], ownLateness: [...proxy.shaper.ownLateness] };
const cpuFrom = process.cpuUsage();
const t0 = performance.now();
loop.enable();
for (let s = 1; s <= seconds; s++) {
  await new Promise((r) => setTimeout(r, 1_000));
  process.stderr.write(`\r  ${s}/${seconds} s, ${proxy.open} open`);
}
loop.disable();
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpuFrom);
process.stderr.write('\n');
peer.send({ stop: true });
const peerReport = await next<{ received: number; open: number }>('received');
const books = {
  segments: proxy.shaper.segments - from.segments,
  stalls: proxy.shaper.stalls - from.stalls,
  deliveries: proxy.shaper.deliveries - from.deliveries,
  lateness: proxy.shaper.lateness.map((n, i) => n - (from.lateness[i] ?? 0)),
  latenessMaxMs: proxy.shaper.latenessMaxMs,
  ownLateness: proxy.shaper.ownLateness.map((n, i) => n - (from.ownLateness[i] ?? 0)),
};
const lag = (ns: number) => Math.max(0, ns / 1e6 - 10);
const result = {
  bench: 'shaper',
  command: `npx tsx scripts/bench/shaper.ts --connections ${connections} --network ${values.network} --seconds ${seconds} --rate ${rate} --bytes ${bytes}`,
  at: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadavg: os.loadavg(),
    node: process.version,
  },
  network,
  connections,
  openAtStart: 0,
  openAtEnd: proxy.open,
  feed: { rate, bytes },
  windowMs: wallMs,
  shaper: {
    loopDelayMs: { p50: lag(loop.percentile(50)), p99: lag(loop.percentile(99)), max: lag(loop.max) },
    cpuMs: (cpu.user + cpu.system) / 1000,
    cpuShareOfOneCore: (cpu.user + cpu.system) / 1000 / wallMs,
    deliveries: books.deliveries,
    segments: books.segments,
    latenessMs: { p50: latenessPercentile(books, 50), p99: latenessPercentile(books, 99), max: books.latenessMaxMs },
    /** The part of the lateness the shaper's own backlog caused (tools/shaper.ts ShaperBooks.ownLateness). */
    ownLatenessMs: { p50: latenessPercentile(books, 50, true), p99: latenessPercentile(books, 99, true) },
  },
  clientsReceivedBytes: peerReport.received,
  verdict: '',
};
result.openAtStart = openAtStart;
const load = os.loadavg()[0] ?? 0;
const cores = os.cpus().length;
result.verdict =
  result.shaper.loopDelayMs.p99 < 5
    ? `loop delay p99 ${result.shaper.loopDelayMs.p99.toFixed(2)} ms < 5 ms: the shaper keeps up`
    : result.shaper.cpuShareOfOneCore < 0.5 && load > cores
      ? `loop delay p99 ${result.shaper.loopDelayMs.p99.toFixed(2)} ms ≥ 5 ms, but the shaper used only ${(100 * result.shaper.cpuShareOfOneCore).toFixed(1)} % of one core: it was waiting for a CPU (load average ${load.toFixed(1)} on ${cores} cores). The machine, not the shaper's work, was the bottleneck; the bar is not shown on this run`
      : `loop delay p99 ${result.shaper.loopDelayMs.p99.toFixed(2)} ms ≥ 5 ms with ${(100 * result.shaper.cpuShareOfOneCore).toFixed(1)} % of one core busy: the shaper was the bottleneck`;
mkdirSync(values.out as string, { recursive: true });
const file = `${values.out}/${result.at.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `${[
    `connections ${connections} (${proxy.open} open at the end) on ${network.name}`,
    `shaper loop delay p50 ${result.shaper.loopDelayMs.p50.toFixed(2)} ms, p99 ${result.shaper.loopDelayMs.p99.toFixed(2)} ms, max ${result.shaper.loopDelayMs.max.toFixed(1)} ms`,
    `shaper CPU ${result.shaper.cpuMs.toFixed(0)} ms over ${(wallMs / 1000).toFixed(1)} s (${(100 * result.shaper.cpuShareOfOneCore).toFixed(1)} % of one core)`,
    `deliveries ${books.deliveries}, lateness p50 ≤ ${result.shaper.latenessMs.p50} ms, p99 ≤ ${result.shaper.latenessMs.p99} ms (of its own backlog: p50 ≤ ${result.shaper.ownLatenessMs.p50} ms, p99 ≤ ${result.shaper.ownLatenessMs.p99} ms)`,
    result.verdict,
    `written: ${file}`,
  ].join('\n')}\n`,
);
await proxy.close();
process.exit(0);
