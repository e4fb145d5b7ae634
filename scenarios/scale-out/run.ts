/**
 * The `scale-out` scenario's run (`npm run scenario -- scale-out`, scenarios/library/scale-out.ts): one
 * feed in Redis, 1, 2 … N lab instances behind HAProxy round-robin with NO stickiness
 * (cluster/cluster.ts), the scenario's client groups each time, all through the balancer's one URL.
 * Per step: deliveries, event age p50/p99 per transport, server CPU per delivery per instance, Redis
 * CPU per published message; in the first step with two instances or more, the stickiness probe. Then
 * a fault run: instance i1 is killed (SIGKILL) mid-run and, later, Redis restarts empty; every client
 * must resume elsewhere with 0 lost and 0 duplicated, and see exactly one `epoch` reset.
 *
 * This machine has 2 cores: the instances, Redis, HAProxy and the clients share them, so total
 * throughput cannot grow past the cores; what the steps show is the cost per instance and that
 * nothing in the lab is a shared bottleneck (one XREAD per instance, not per client).
 *
 * It returns a `Summary` like every scenario (its figures under `scaleOut`, scenarios/scale-out/result.ts);
 * cli.ts prints and writes it, scenarios/render/ draws its tables and charts.
 */
import os from 'node:os';
import { LatencyHistogram } from '../../client/latency.js';
import { type Cluster, startCluster } from '../../cluster/cluster.js';
import { type FeedState, type StatsResponse, TRANSPORTS, type TransportName } from '../../contract/index.js';
import type { GroupSpec, Scenario } from '../define.js';
import { loopDelayMonitor, loopDelayMs } from '../loop-delay.js';
import { machineInfo } from '../machine.js';
import { readProc } from '../proc-meter.js';
import type { Progress } from '../progress.js';
import type { Summary } from '../summary.js';
import { type Groups, startGroups } from './clients.js';
import type { FaultResult, ScaleOutDef, ScaleOutResult, StepResult, StickinessResult } from './result.js';

/** What a step adds to the summary's phases (each instance's CPU summed, the largest peak RSS). */
interface Phase {
  name: string;
  startMs: number;
  endMs: number;
  cpuMs: number;
  rssMaxBytes: number;
}

/** Starting N tsx processes, redis-server and HAProxy on a shared box: an estimate for the progress bar. */
const CLUSTER_START_MS = 4_000;

/** How long a scale-out run should take, for the progress bar. */
export function plannedScaleOutMs(scenario: Scenario): number {
  const spec = scenario.scaleOut as ScaleOutDef;
  const step = (n: number) => CLUSTER_START_MS * (n + 1) + scenario.warmupMs + scenario.durationMs + 1_000;
  const fault = CLUSTER_START_MS * (spec.fault.instances + 1) + spec.fault.durationMs + 3_000;
  return spec.steps.reduce((sum, n) => sum + step(n), 0) + fault;
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
  instances: { name: string; deliveries: number; cpuMs: number; hwmBytes: number }[];
}

async function read(cluster: Cluster): Promise<Reading> {
  const instances = [];
  for (const instance of cluster.instances) {
    if (!instance.server) continue;
    const stats = await json<StatsResponse>(`http://127.0.0.1:${instance.port}/api/stats`);
    const deliveries = TRANSPORTS.reduce((sum, t) => sum + stats.transports[t].messages, 0);
    const proc = readProc(instance.server.pid);
    instances.push({ name: instance.name, deliveries, cpuMs: proc?.cpuMs ?? 0, hwmBytes: proc?.hwmBytes ?? 0 });
  }
  const feed = await json<FeedState>(`${cluster.url}/api/feed`);
  return {
    at: performance.now(),
    head: feed.head,
    redisCpuMs: readProc(cluster.redis.pid ?? 0)?.cpuMs ?? 0,
    instances,
  };
}

/** One entry per transport the scenario runs. */
function perTransport<T>(transports: readonly TransportName[], make: (t: TransportName) => T): Record<string, T> {
  return Object.fromEntries(transports.map((t) => [t, make(t)]));
}

async function probeStickiness(
  cluster: Cluster,
  instances: number,
  { sessions, requestsPerSession }: ScaleOutDef['stickiness'],
): Promise<StickinessResult> {
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

async function runStep(
  scenario: Scenario,
  instances: number,
  probe: boolean,
  progress: Progress,
  at: () => number,
): Promise<{ step: StepResult; phase: Phase }> {
  const spec = scenario.scaleOut as ScaleOutDef;
  const transports = scenario.groups.map((g) => g.transport);
  const label = `${instances} instance${instances > 1 ? 's' : ''}`;
  progress.phase(`${label}: starting redis-server, the instances and HAProxy`);
  const cluster = await startCluster({ instances, labArgs: ['--paused'] });
  let groups: Groups | null = null;
  try {
    let stickiness: StickinessResult | null = null;
    if (probe) {
      progress.phase(`${label}: Socket.IO polling vs the lab's long polls, no stickiness`);
      stickiness = await probeStickiness(cluster, instances, spec.stickiness);
    }
    const feed = await json<FeedState>(`${cluster.url}/api/feed`);
    groups = startGroups(cluster.url, scenario.groups, { epoch: feed.epoch, seq: feed.head });
    await setFeed(cluster, { rate: scenario.feed.rate, payloadBytes: scenario.feed.payloadBytes, running: true });
    progress.phase(`${label}: warm-up ${scenario.warmupMs / 1000} s`);
    await sleep(scenario.warmupMs);
    const before = await read(cluster);
    const startMs = at();
    const auditsBefore = groups.members.map((m) => m.audit.snapshot());
    groups.restartWindow();
    progress.phase(`${label}: measuring ${scenario.durationMs / 1000} s`);
    await sleep(scenario.durationMs);
    const after = await read(cluster);
    const endMs = at();
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
    const latency = perTransport(transports, (t) => {
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
    const step: StepResult = {
      instances,
      windowS,
      published,
      deliveries,
      deliveriesPerS: deliveries / windowS,
      perInstance,
      redisCpuMs,
      redisCpuUsPerPublished: published > 0 ? (redisCpuMs * 1000) / published : null,
      latency,
      lost: perTransport(transports, (t) => delta(t, 'lost')),
      duplicates: perTransport(transports, (t) => delta(t, 'duplicates')),
      stickiness,
    };
    progress.log(`${label}: ${Math.round(step.deliveriesPerS)} deliveries/s, ${published} published`);
    const phase = {
      name: `${label} (window)`,
      startMs,
      endMs,
      cpuMs: perInstance.reduce((sum, i) => sum + i.cpuMs, 0),
      rssMaxBytes: Math.max(0, ...after.instances.map((i) => i.hwmBytes)),
    };
    return { step, phase };
  } finally {
    groups?.stop();
    await cluster.stop();
  }
}

async function runFault(
  scenario: Scenario,
  progress: Progress,
  at: () => number,
): Promise<{ fault: FaultResult; phase: Phase }> {
  const { instances, durationMs, killAtMs, redisRestartAtMs } = (scenario.scaleOut as ScaleOutDef).fault;
  const transports = scenario.groups.map((g) => g.transport);
  progress.phase(`fault run: ${instances} instances`);
  const cluster = await startCluster({ instances, labArgs: ['--paused'] });
  let groups: Groups | null = null;
  try {
    const feed = await json<FeedState>(`${cluster.url}/api/feed`);
    groups = startGroups(cluster.url, scenario.groups, { epoch: feed.epoch, seq: feed.head });
    const bucketMs = 500;
    const counts = perTransport(transports, () => new Array<number>(Math.ceil(durationMs / bucketMs)).fill(0));
    const started = performance.now();
    const startMs = at();
    for (const member of groups.members) {
      member.client.on('message', () => {
        const bucket = Math.floor((performance.now() - started) / bucketMs);
        const row = counts[member.transport];
        if (row && bucket < row.length) row[bucket] = (row[bucket] ?? 0) + 1;
      });
    }
    // CPU of every instance over the run: the killed one's as last read before the kill.
    const cpuAtStart = cluster.instances.map((i) => (i.server ? (readProc(i.server.pid)?.cpuMs ?? 0) : 0));
    const cpuSoFar = () =>
      cluster.instances.map((i, k) => (i.server ? (readProc(i.server.pid)?.cpuMs ?? 0) - (cpuAtStart[k] ?? 0) : 0));
    let rssMaxBytes = 0;
    const rssNow = () => {
      for (const i of cluster.instances)
        if (i.server) rssMaxBytes = Math.max(rssMaxBytes, readProc(i.server.pid)?.hwmBytes ?? 0);
    };
    await setFeed(cluster, { rate: scenario.feed.rate, payloadBytes: scenario.feed.payloadBytes, running: true });
    const killed = cluster.instances[0]?.name ?? 'i1';
    await sleep(killAtMs);
    const killedCpuMs = cpuSoFar()[0] ?? 0;
    rssNow();
    progress.log(`fault run: SIGKILL ${killed} at ${(killAtMs / 1000).toFixed(1)} s`);
    await cluster.kill(0);
    for (const member of groups.members) member.served.clear();
    await sleep(redisRestartAtMs - killAtMs);
    progress.log('fault run: restarting Redis (empty: persistence is off)');
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
    rssNow();
    const cpuMs = killedCpuMs + cpuSoFar().reduce((sum, ms) => sum + ms, 0);
    const fault: FaultResult = {
      instances,
      killed,
      killAtS: killAtMs / 1000,
      redisRestartAtS: redisRestartAtMs / 1000,
      perTransport: perTransport(transports, (t) => {
        const mine = members.filter((m) => m.transport === t);
        const snaps = mine.map((m) => m.audit.snapshot());
        const served = new Set<string>();
        // Polls name their instance on every answer; a stream only when it (re)connects, so one that
        // stayed on a survivor through the kill is counted by the instance it is on at the end.
        for (const m of mine) {
          for (const name of m.served.keys()) served.add(name);
          if (m.lastServed) served.add(m.lastServed);
        }
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
    return { fault, phase: { name: `fault run (${instances} instances)`, startMs, endMs: at(), cpuMs, rssMaxBytes } };
  } finally {
    groups?.stop();
    await cluster.stop();
  }
}

function paramsOf(scenario: Scenario, settings: ScaleOutResult['settings'], loadAverageAtStart: number[]) {
  const group = (g: GroupSpec) => ({
    name: g.name,
    transport: g.transport,
    count: g.count,
    resume: g.resume,
    ...(g.transport === 'short-poll' ? { pollIntervalMs: g.pollIntervalMs } : {}),
    ...(g.transport === 'long-poll' ? { longPollTimeoutMs: g.longPollTimeoutMs } : {}),
  });
  return {
    feed: scenario.feed,
    rate: scenario.feed.rate,
    payloadBytes: scenario.feed.payloadBytes,
    clients: scenario.groups.map(group),
    durationMs: scenario.durationMs,
    warmupMs: scenario.warmupMs,
    scaleOut: settings,
    loadAverageAtStart,
    balancer: 'HAProxy, round-robin per request, no cookie, no stick table (cluster/haproxy.ts)',
    bytesCountedAt: 'not counted here: deliveries are each instance’s own /api/stats message counts',
    serverCpuScope:
      'server.cpuMs sums every instance’s /proc utime+stime over each step’s window and over the whole fault run; per delivered = over the steps’ windows',
  };
}

/** Runs a scale-out scenario end to end and returns its summary. */
export async function runScaleOut(
  scenario: Scenario,
  options: { progress: Progress; overrides?: Record<string, unknown> },
): Promise<Summary> {
  const spec = scenario.scaleOut as ScaleOutDef;
  const { progress } = options;
  const startedAt = new Date();
  const runStartedAt = performance.now();
  const at = () => performance.now() - runStartedAt;
  const runnerCpu = process.cpuUsage();
  const loop = loopDelayMonitor();
  loop.enable();
  const cores = os.cpus().length;
  const loadAverageAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const transports = scenario.groups.map((g) => g.transport);
  const settings: ScaleOutResult['settings'] = {
    steps: [...spec.steps],
    perTransport: Object.fromEntries(scenario.groups.map((g) => [g.transport, g.count])),
    rate: scenario.feed.rate,
    payloadBytes: scenario.feed.payloadBytes,
    warmupMs: scenario.warmupMs,
    windowMs: scenario.durationMs,
    fault: { ...spec.fault },
    stickiness: { ...spec.stickiness },
  };
  const phases: Phase[] = [];
  const steps: StepResult[] = [];
  const probeAt = spec.steps.findIndex((n) => n >= 2);
  for (const [i, n] of spec.steps.entries()) {
    const { step, phase } = await runStep(scenario, n, i === probeAt, progress, at);
    steps.push(step);
    phases.push(phase);
  }
  const { fault, phase } = await runFault(scenario, progress, at);
  phases.push(phase);
  loop.disable();
  const used = process.cpuUsage(runnerCpu);
  const stepCpuMs = steps.reduce((sum, s) => sum + s.perInstance.reduce((a, i) => a + i.cpuMs, 0), 0);
  const stepDeliveries = steps.reduce((sum, s) => sum + s.deliveries, 0);
  const scaleOut: ScaleOutResult = {
    settings,
    cores,
    loadAverageAtStart,
    note: `${cores} cores shared by every instance, redis-server, HAProxy and the clients: total throughput cannot scale past the cores; read the per-instance cost.`,
    socketIo: transports.includes('socket.io')
      ? 'Socket.IO runs WebSocket-only through the balancer (its polling needs sticky sessions: see the stickiness probe).'
      : 'No Socket.IO group in this run.',
    steps,
    fault,
  };
  const summary: Summary = {
    scenario: scenario.name,
    description: scenario.description,
    params: {
      ...paramsOf(scenario, settings, loadAverageAtStart),
      ...(options.overrides && Object.keys(options.overrides).length > 0 ? { overrides: options.overrides } : {}),
    },
    startedAt: startedAt.toISOString(),
    durationMs: at(),
    machine: machineInfo(),
    clock:
      'performance.timeOrigin + performance.now() in every process (each instance stamps ts, the runner stamps receipt); one host, one clock',
    transports: {},
    server: {
      cpuMs: phases.reduce((sum, p) => sum + p.cpuMs, 0),
      rssMaxBytes: Math.max(0, ...phases.map((p) => p.rssMaxBytes)),
      cpuUsPerDelivered: stepDeliveries > 0 ? (stepCpuMs * 1000) / stepDeliveries : 0,
    },
    phases,
    expectations: [],
    runner: { cpuMs: (used.user + used.system) / 1000, eventLoopDelayMs: loopDelayMs(loop) },
    scaleOut,
  };
  return summary;
}
