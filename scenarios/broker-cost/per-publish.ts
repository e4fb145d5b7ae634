/**
 * Benchmark (a script, not a test): the broker's fixed cost per publish, with no client at all, in
 * this process — the part of scenarios/broker-cost/run.ts's model that does not depend on fan-out.
 * Paced publishes (one every GAP_MS, awaited, like the ticker's) in four ways, interleaved, ROUNDS times;
 * CPU (user and system, process.cpuUsage) per publish, less the pacing alone:
 * - `memory`: Feed.publish, the memory backend's whole publish;
 * - `memory+ping`: one awaited PING on a raw socket to the same redis-server, then Feed.publish (the
 *   control of run.ts: the wait for another process, without the broker's code);
 * - `ioredis ping`: the same wait through ioredis (its per-command objects, parser, promise);
 * - `redis`: RedisBackend.publish (server/feed/redis-backend.ts): the PUBLISH script through ioredis,
 *   the publisher-local append, the XREAD loop woken now and then.
 * `npx tsx scenarios/broker-cost/per-publish.ts [--rounds 5 --count 400 --baseline DIR]` (npm run
 * bench:broker-publish); `--baseline DIR` adds `redis@baseline`, another checkout's RedisBackend (an A/B).
 * With 2 cores or more this process is pinned to core 0 and redis-server to core 1, as in run.ts.
 */
import { connect } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../../cluster/redis-process.js';
import { Feed } from '../../server/feed/feed.js';
import { RedisBackend } from '../../server/feed/redis-backend.js';
import { Ticker } from '../../server/feed/ticker.js';
import { median } from '../bench/rows.js';
import { pinToCore } from '../proc-meter.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    count: { type: 'string', default: '400' },
    baseline: { type: 'string' },
  },
});
const ROUNDS = Number(flags.rounds);
const COUNT = Number(flags.count);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 20 || !Number.isInteger(COUNT) || COUNT < 50) {
  console.error('--rounds: 1…20; --count: an integer of at least 50');
  process.exit(2);
}
/** The pause between publishes, ms: the thread sleeps between them, as a ticker's does. */
const GAP_MS = 5;
const PAYLOAD = { kind: 'tick', n: 0, pad: 'x'.repeat(180) };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Way = 'pacing only' | 'memory' | 'memory+ping' | 'ioredis ping' | 'redis@baseline' | 'redis';
/** `--baseline DIR`: also the RedisBackend of another checkout (DIR, node_modules linked in): an A/B of a change. */
const BASELINE = flags.baseline ? resolve(flags.baseline) : null;

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((x) => x.toFixed(2));
  const redis = await startRedis();
  if (cpus().length >= 2) {
    pinToCore(process.pid, 0);
    pinToCore(redis.pid ?? 0, 1);
  }
  const memoryFeed = new Feed(1_000);
  const brokerFeed = new Feed(1_000);
  const backend = new RedisBackend({ url: redis.url, instance: 'per-publish', retention: 1_000, prefix: 'pp:' });
  const quiet = { rate: 0, payloadBytes: 256, mode: 'steady', running: false } as const;
  await backend.start(brokerFeed, new Ticker(brokerFeed, quiet));
  const baselineFeed = new Feed(1_000);
  let baseline: RedisBackend | null = null;
  if (BASELINE) {
    const module = (await import(pathToFileURL(join(BASELINE, 'server/feed/redis-backend.ts')).href)) as {
      RedisBackend: typeof RedisBackend;
    };
    baseline = new module.RedisBackend({ url: redis.url, instance: 'baseline', retention: 1_000, prefix: 'pb:' });
    await baseline.start(baselineFeed, new Ticker(baselineFeed, quiet));
  }
  const ioredis = new Redis(redis.url);
  const raw = connect({ host: '127.0.0.1', port: redis.port });
  raw.setNoDelay(true);
  await new Promise((resolve) => raw.once('connect', resolve));
  const waiting: (() => void)[] = [];
  let pending = '';
  raw.setEncoding('latin1');
  raw.on('data', (chunk: string) => {
    pending += chunk;
    for (let at = pending.indexOf('+PONG\r\n'); at !== -1; at = pending.indexOf('+PONG\r\n')) {
      pending = pending.slice(at + 7);
      waiting.shift()?.();
    }
  });
  const rawPing = () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      raw.write('PING\r\n');
    });

  const ways = {
    'pacing only': () => undefined,
    memory: () => memoryFeed.publish(PAYLOAD),
    'memory+ping': () => rawPing().then(() => memoryFeed.publish(PAYLOAD)),
    'ioredis ping': () => ioredis.ping().then(() => memoryFeed.publish(PAYLOAD)),
    ...(baseline ? { 'redis@baseline': () => (baseline as RedisBackend).publish(PAYLOAD) } : {}),
    redis: () => backend.publish(PAYLOAD),
  } as Record<Way, () => unknown>;
  const samples = new Map<Way, { user: number; system: number }[]>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [way, publish] of Object.entries(ways) as [Way, () => unknown][]) {
        process.stdout.write(`round ${round}/${ROUNDS}: ${way}…\r`);
        for (let i = 0; i < 20; i++) {
          await publish();
          await sleep(GAP_MS);
        }
        const before = process.cpuUsage();
        for (let i = 0; i < COUNT; i++) {
          await publish();
          await sleep(GAP_MS);
        }
        const used = process.cpuUsage(before);
        const list = samples.get(way) ?? [];
        list.push({ user: used.user / COUNT, system: used.system / COUNT });
        samples.set(way, list);
      }
    }
  } finally {
    raw.destroy();
    ioredis.disconnect();
    await backend.close();
    await baseline?.close();
    await redis.remove();
  }
  const floor = samples.get('pacing only') ?? [];
  const floorUser = median(floor.map((s) => s.user));
  const floorSystem = median(floor.map((s) => s.system));
  console.log(`\nCPU per publish, µs, median of ${ROUNDS} rounds × ${COUNT} publishes, one every ${GAP_MS} ms`);
  console.log('way            user  system   total   less pacing   (each round: total)');
  for (const [way, list] of samples) {
    const user = median(list.map((s) => s.user));
    const system = median(list.map((s) => s.system));
    const rounds = list.map((s) => (s.user + s.system).toFixed(0)).join(' ');
    const net = way === 'pacing only' ? '' : (user + system - floorUser - floorSystem).toFixed(0);
    console.log(
      `${way.padEnd(13)} ${user.toFixed(0).padStart(5)} ${system.toFixed(0).padStart(7)} ${(user + system).toFixed(0).padStart(7)} ${net.padStart(13)}   (${rounds})`,
    );
  }
  console.log(
    `load average ${loadAtStart.join(' ')} at the start, ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at the end`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
