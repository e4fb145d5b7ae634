/**
 * Scenario `scale-out` (`npm run scale-out`): one feed in Redis, 1, 2 and 4 lab instances behind
 * HAProxy round-robin with NO stickiness (cluster/cluster.ts), the same client groups each time,
 * all through the balancer's one URL. Per step: deliveries, event age p50/p99 per transport,
 * server CPU per delivery per instance, Redis CPU per published message. Then a fault run: one
 * instance is killed (SIGKILL) mid-run and, later, Redis restarts empty; every client must resume
 * elsewhere with 0 lost and 0 duplicated, and see exactly one `epoch` reset.
 *
 * This machine has 2 cores: the instances, Redis, HAProxy and the clients share them, so total
 * throughput cannot grow past the cores; what the steps show is the cost per instance and that
 * nothing in the lab is a shared bottleneck (one XREAD per instance, not per client).
 *
 * Results: results/scale-out/<time>/summary.json, PNG charts, report.html; results/scale-out/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { LatencyHistogram } from '../../client/latency.js';
import { type Cluster, startCluster } from '../../cluster/cluster.js';
import { type FeedState, type StatsResponse, TRANSPORTS, type TransportName } from '../../contract/index.js';
import { machineInfo } from '../machine.js';
import { DEFAULT_RESULTS_DIR } from '../output.js';
import { readProc } from '../proc-meter.js';
import { type Groups, startGroups } from './clients.js';
import { renderScaleOut } from './render.js';

export const SCALE_OUT = {
  steps: [1, 2, 4],
  perTransport: 10,
  rate: 50,
  payloadBytes: 256,
  warmupMs: 3_000,
  windowMs: 10_000,
  fault: { instances: 2, durationMs: 24_000, killAtMs: 6_000, redisRestartAtMs: 14_000 },
  /** Engine.IO polling sessions (and as many lab long polls) sent through the balancer of the 2-instance step. */
  stickiness: { sessions: 20, requestsPerSession: 4 },
} as const;

/**
 * Socket.IO's polling transport vs the lab's long polls through the same non-sticky balancer.
 * An Engine.IO session lives in the instance that answered its handshake; every later request of
 * the session that the balancer sends elsewhere is answered 400 `Session ID unknown`. The lab's
 * long poll carries its cursor, so whichever instance gets it answers it.
 */
export interface StickinessResult {
  instances: number;
  socketIoPolling: {
    sessions: number;
    requests: number;
    /** Answers `400 {"code":1,"message":"Session ID unknown"}`. */
    sessionIdUnknown: number;
    /** Sessions that met at least one of them (a real client gives up on the first). */
    sessionsBroken: number;
  };
  labLongPoll: { requests: number; failed: number; instancesSeen: string[] };
}

export interface InstanceCost {
  name: string;
  deliveries: number;
  cpuMs: number;
  cpuUsPerDelivery: number | null;
}

export interface StepResult {
  instances: number;
  windowS: number;
  published: number;
  deliveries: number;
  deliveriesPerS: number;
  perInstance: InstanceCost[];
  redisCpuMs: number;
  redisCpuUsPerPublished: number | null;
  latency: Record<TransportName, { p50: number; p99: number; count: number }>;
  lost: Record<TransportName, number>;
  duplicates: Record<TransportName, number>;
  /** Measured in the 2-instance step only (null elsewhere). */
  stickiness: StickinessResult | null;
}

export interface FaultResult {
  instances: number;
  killed: string;
  killAtS: number;
  redisRestartAtS: number;
  perTransport: Record<
    TransportName,
    {
      clients: number;
      delivered: number;
      lost: number;
      duplicates: number;
      epochResets: number;
      /** Clients that saw exactly one `epoch` reset (the Redis restart) and no other reset. */
      clientsWithOneEpochReset: number;
      /** Clients at the final head of the final epoch when the run ended. */
      caughtUp: number;
      /** Instances that served this transport's clients after the kill. */
      servedAfterKill: string[];
    }
  >;
  /** Deliveries per transport per 500 ms, for the timeline chart. */
  timeline: { bucketMs: number; counts: Record<TransportName, number[]> };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const setFeed = (cluster: Cluster, settings: Record<string, unknown>) =>
  json<FeedState>(`${cluster.url}/api/feed`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });

interface Reading {
  at: number;
  head: number;
  redisCpuMs: number;
  instances: { name: string; deliveries: number; cpuMs: number }[];
}

async function read(cluster: Cluster): Promise<Reading> {
  const instances = [];
  for (const instance of cluster.instances) {
    if (!instance.server) continue;
    const stats = await json<StatsResponse>(`http://127.0.0.1:${instance.port}/api/stats`);
    const deliveries = TRANSPORTS.reduce((sum, t) => sum + stats.transports[t].messages, 0);
    instances.push({ name: instance.name, deliveries, cpuMs: readProc(instance.server.pid)?.cpuMs ?? 0 });
  }
  const feed = await json<FeedState>(`${cluster.url}/api/feed`);
  return {
    at: performance.now(),
    head: feed.head,
    redisCpuMs: readProc(cluster.redis.pid ?? 0)?.cpuMs ?? 0,
    instances,
  };
}

function perTransport<T>(make: (t: TransportName) => T): Record<TransportName, T> {
  return Object.fromEntries(TRANSPORTS.map((t) => [t, make(t)])) as Record<TransportName, T>;
}

async function probeStickiness(cluster: Cluster, instances: number): Promise<StickinessResult> {
  const { sessions, requestsPerSession } = SCALE_OUT.stickiness;
  let sessionIdUnknown = 0;
  let sessionsBroken = 0;
  for (let i = 0; i < sessions; i++) {
    const open = await fetch(`${cluster.url}/socket.io/?EIO=4&transport=polling&client=sticky-${i}`);
    const sid = (JSON.parse((await open.text()).slice(1)) as { sid: string }).sid;
    let broken = false;
    for (let r = 0; r < requestsPerSession; r++) {
      // The CONNECT packet, as socket.io-client sends it right after the handshake.
      const res = await fetch(`${cluster.url}/socket.io/?EIO=4&transport=polling&sid=${sid}&t=${r}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: '40',
      });
      const body = await res.text();
      if (res.status === 400 && body.includes('Session ID unknown')) {
        sessionIdUnknown += 1;
        broken = true;
      }
    }
    if (broken) sessionsBroken += 1;
  }
  const feed = await json<FeedState>(`${cluster.url}/api/feed`);
  let failed = 0;
  const seen = new Set<string>();
  const requests = sessions * requestsPerSession;
  for (let i = 0; i < requests; i++) {
    const res = await fetch(`${cluster.url}/api/long-poll?since=${feed.head}&epoch=${feed.epoch}&timeout=0`);
    if (res.status !== 200) failed += 1;
    seen.add(res.headers.get('x-lab-instance') ?? '?');
    await res.text();
  }
  return {
    instances,
    socketIoPolling: { sessions, requests, sessionIdUnknown, sessionsBroken },
    labLongPoll: { requests, failed, instancesSeen: [...seen].sort() },
  };
}

async function runStep(instances: number, progress: (text: string) => void): Promise<StepResult> {
  progress(`${instances} instance(s): starting redis-server, the instances and HAProxy`);
  const cluster = await startCluster({ instances, labArgs: ['--paused'] });
  let groups: Groups | null = null;
  try {
    let stickiness: StickinessResult | null = null;
    if (instances === 2) {
      progress(`${instances} instance(s): Socket.IO polling vs the lab's long polls, no stickiness`);
      stickiness = await probeStickiness(cluster, instances);
    }
    const feed = await json<FeedState>(`${cluster.url}/api/feed`);
    groups = startGroups(cluster.url, SCALE_OUT.perTransport, { epoch: feed.epoch, seq: feed.head });
    await setFeed(cluster, { rate: SCALE_OUT.rate, payloadBytes: SCALE_OUT.payloadBytes, running: true });
    progress(`${instances} instance(s): warm-up ${SCALE_OUT.warmupMs / 1000} s`);
    await sleep(SCALE_OUT.warmupMs);
    const before = await read(cluster);
    const auditsBefore = groups.members.map((m) => m.audit.snapshot());
    groups.restartWindow();
    progress(`${instances} instance(s): measuring ${SCALE_OUT.windowMs / 1000} s`);
    await sleep(SCALE_OUT.windowMs);
    const after = await read(cluster);
    await setFeed(cluster, { running: false });
    const windowS = (after.at - before.at) / 1000;
    const perInstance = after.instances.map((end) => {
      const start = before.instances.find((i) => i.name === end.name);
      const deliveries = end.deliveries - (start?.deliveries ?? 0);
      const cpuMs = end.cpuMs - (start?.cpuMs ?? 0);
      return {
        name: end.name,
        deliveries,
        cpuMs,
        cpuUsPerDelivery: deliveries > 0 ? (cpuMs * 1000) / deliveries : null,
      };
    });
    const deliveries = perInstance.reduce((sum, i) => sum + i.deliveries, 0);
    const published = after.head - before.head;
    const redisCpuMs = after.redisCpuMs - before.redisCpuMs;
    const members = groups.members;
    const latency = perTransport((t) => {
      const merged = new LatencyHistogram();
      for (const m of members) if (m.transport === t) merged.add(m.latency);
      const s = merged.summary();
      return { p50: s.p50, p99: s.p99, count: s.count };
    });
    const delta = (t: TransportName, key: 'lost' | 'duplicates') =>
      members.reduce(
        (sum, m, i) => (m.transport === t ? sum + m.audit.snapshot()[key] - (auditsBefore[i]?.[key] ?? 0) : sum),
        0,
      );
    return {
      instances,
      windowS,
      published,
      deliveries,
      deliveriesPerS: deliveries / windowS,
      perInstance,
      redisCpuMs,
      redisCpuUsPerPublished: published > 0 ? (redisCpuMs * 1000) / published : null,
      latency,
      lost: perTransport((t) => delta(t, 'lost')),
      duplicates: perTransport((t) => delta(t, 'duplicates')),
      stickiness,
    };
  } finally {
    groups?.stop();
    await cluster.stop();
  }
}

async function runFault(progress: (text: string) => void): Promise<FaultResult> {
  const { instances, durationMs, killAtMs, redisRestartAtMs } = SCALE_OUT.fault;
  progress(`fault run: ${instances} instances`);
  const cluster = await startCluster({ instances, labArgs: ['--paused'] });
  let groups: Groups | null = null;
  try {
    const feed = await json<FeedState>(`${cluster.url}/api/feed`);
    groups = startGroups(cluster.url, SCALE_OUT.perTransport, { epoch: feed.epoch, seq: feed.head });
    const bucketMs = 500;
    const counts = perTransport(() => new Array<number>(Math.ceil(durationMs / bucketMs)).fill(0));
    const started = performance.now();
    for (const member of groups.members) {
      member.client.on('message', () => {
        const bucket = Math.floor((performance.now() - started) / bucketMs);
        const row = counts[member.transport];
        if (bucket < row.length) row[bucket] = (row[bucket] ?? 0) + 1;
      });
    }
    await setFeed(cluster, { rate: SCALE_OUT.rate, payloadBytes: SCALE_OUT.payloadBytes, running: true });
    const killed = cluster.instances[0]?.name ?? 'i1';
    await sleep(killAtMs);
    progress(`fault run: SIGKILL ${killed}`);
    await cluster.kill(0);
    for (const member of groups.members) member.served.clear();
    await sleep(redisRestartAtMs - killAtMs);
    progress('fault run: restarting Redis (empty: persistence is off)');
    await cluster.redis.restart();
    await sleep(Math.max(0, durationMs - (performance.now() - started)));
    // Stop publishing; publishes already on their way to Redis land within a moment: then read the final head.
    await setFeed(cluster, { running: false });
    await sleep(1_000);
    const final = await json<FeedState>(`${cluster.url}/api/feed`);
    const members = groups.members;
    const deadline = performance.now() + 15_000;
    const atHead = (m: (typeof members)[number]) =>
      m.client.cursor?.epoch === final.epoch && m.client.cursor.seq === final.head;
    while (performance.now() < deadline && !members.every(atHead)) await sleep(100);
    return {
      instances,
      killed,
      killAtS: killAtMs / 1000,
      redisRestartAtS: redisRestartAtMs / 1000,
      perTransport: perTransport((t) => {
        const mine = members.filter((m) => m.transport === t);
        const snaps = mine.map((m) => m.audit.snapshot());
        const served = new Set<string>();
        for (const m of mine) for (const name of m.served.keys()) served.add(name);
        return {
          clients: mine.length,
          delivered: snaps.reduce((s, a) => s + a.delivered, 0),
          lost: snaps.reduce((s, a) => s + a.lost, 0),
          duplicates: snaps.reduce((s, a) => s + a.duplicates, 0),
          epochResets: mine.reduce((s, m) => s + m.resetReasons.filter((r) => r === 'epoch').length, 0),
          clientsWithOneEpochReset: mine.filter((m) => m.resetReasons.length === 1 && m.resetReasons[0] === 'epoch')
            .length,
          caughtUp: mine.filter(atHead).length,
          servedAfterKill: [...served].sort(),
        };
      }),
      timeline: { bucketMs, counts },
    };
  } finally {
    groups?.stop();
    await cluster.stop();
  }
}

export interface ScaleOutSummary {
  scenario: 'scale-out';
  startedAt: string;
  machine: ReturnType<typeof machineInfo> & {
    cores: number;
    /** `uptime`'s load averages (1, 5, 15 min) when the run started: other work on the machine. */
    loadAverageAtStart: number[];
    note: string;
  };
  settings: typeof SCALE_OUT;
  socketIo: string;
  steps: StepResult[];
  fault: FaultResult;
}

async function main(): Promise<void> {
  const { cpus } = await import('node:os');
  const loadAverageAtStart = loadavg().map((value) => Math.round(value * 100) / 100);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const progress = (text: string) =>
    console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${text}`);
  const steps: StepResult[] = [];
  for (const n of SCALE_OUT.steps) steps.push(await runStep(n, progress));
  const fault = await runFault(progress);
  const summary: ScaleOutSummary = {
    scenario: 'scale-out',
    startedAt,
    machine: {
      ...machineInfo(),
      cores: cpus().length,
      loadAverageAtStart,
      note: `${cpus().length} cores shared by every instance, redis-server, HAProxy and the clients: total throughput cannot scale past the cores; read the per-instance cost.`,
    },
    settings: SCALE_OUT,
    socketIo:
      "Socket.IO runs WebSocket-only through the balancer (its polling needs sticky sessions: see the 2-instance step's stickiness probe).",
    steps,
    fault,
  };
  const timestamp = startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const dir = join(DEFAULT_RESULTS_DIR, 'scale-out', timestamp);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const files = await renderScaleOut(dir, summary);
  writeFileSync(
    join(DEFAULT_RESULTS_DIR, 'scale-out', 'latest.json'),
    `${JSON.stringify(
      {
        scenario: 'scale-out',
        timestamp,
        startedAt,
        summary: `${timestamp}/summary.json`,
        report: `${timestamp}/report.html`,
      },
      null,
      2,
    )}\n`,
  );
  console.log(files.table);
  console.log(`\nWrote ${dir}: summary.json, ${files.written.join(', ')}`);
}

if (process.argv[1]?.endsWith('run.ts')) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
