/**
 * Runs a scenario end to end and returns its summary (scenarios/summary.ts):
 *
 *   start the lab in its own process → measure clock agreement → run each point (one, or one
 *   per sweep value; per transport when the sweep says so) → the HTTP capacity phase → stop the
 *   lab → assemble the summary → judge the expectations.
 *
 * Writing the results is output.ts's job; printing is cli.ts's.
 */
import os from 'node:os';
import { DEFAULT_BACKOFF } from '../client/backoff.js';
import { estimateOffset } from '../client/clock.js';
import { TRANSPORTS, type TransportName } from '../contract/index.js';
import { DEFAULT_OPTIONS } from '../server/config.js';
import { runCapacity } from './capacity.js';
import { classCapacity, judgeClassSize } from './class-capacity.js';
import type { FetchChoice } from './clients/group.js';
import { type GroupSpec, type RunSpec, type Scenario, specAt } from './define.js';
import { runProtocolComparison } from './h1-vs-h2/compare.js';
import { LabUnderTest } from './lab-under-test.js';
import { loopDelayMonitor, loopDelayMs } from './loop-delay.js';
import { machineInfo } from './machine.js';
import type { Progress } from './progress.js';
import { type PointResult, runPoint } from './run-point.js';
import { plannedScaleOutMs, runScaleOut } from './scale-out/run.js';
import { plannedStormMs, runStormScenario } from './storm/run.js';
import type { ClassSizeVerdict, GroupSummary, Summary, SweepPoint, TransportSummary } from './summary.js';

export interface RunOptions {
  progress: Progress;
  /** The poll clients' fetch (default node-http, see tools/http-fetch.ts). */
  fetch?: FetchChoice;
  /** Shown in params: what the CLI overrode. */
  overrides?: Record<string, unknown>;
  /** A storm's seed for its clients' backoff draws (`--seed`; a fresh one, printed, when absent). */
  seed?: number;
}

/** How long a run should take, for the progress bar (boot, drains and capacity estimated). */
export function plannedMs(scenario: Scenario): number {
  if (scenario.scaleOut) return plannedScaleOutMs(scenario);
  if (scenario.storm) return plannedStormMs(scenario);
  if (scenario.protocols) {
    // About 4 ms an exchange, 15 ms more for a CPU-pass long poll, and h2load's four targets.
    const { messages, cpuMessages, capacityRequests } = scenario.protocols;
    return 3_000 + 9 * (messages + cpuMessages) * 4 + 3 * cpuMessages * 15 + (4 * capacityRequests) / 2;
  }
  const runs = scenario.sweep
    ? scenario.sweep.values.flatMap((v) => {
        const spec = specAt(scenario, v);
        return scenario.sweep?.oneTransportAtATime ? splitByTransport(spec) : [spec];
      })
    : [scenario];
  const perRun = (spec: RunSpec) => {
    const spread = Math.max(0, ...spec.groups.map((g) => g.startSpreadMs));
    const poll = Math.max(0, ...spec.groups.map((g) => (g.transport === 'short-poll' ? g.pollIntervalMs : 0)));
    return Math.max(spec.warmupMs, spread + 250) + spec.durationMs + poll / 2 + 300;
  };
  const capacity = scenario.capacity ? (scenario.capacity.durationS * 3 * scenario.capacity.rounds + 6) * 1000 : 0;
  return 1_500 + runs.reduce((sum, spec) => sum + perRun(spec), 0) + capacity;
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<Summary> {
  if (scenario.protocols) return runComparison(scenario, options);
  if (scenario.storm) {
    // Its own server (SIGKILLed and restarted) and client processes instead of one lab under test.
    const summary = await runStormScenario(scenario, options);
    summary.expectations = judge(scenario, summary);
    return summary;
  }
  if (scenario.scaleOut) {
    // Its own processes (redis-server, N instances, HAProxy) instead of one lab under test.
    const summary = await runScaleOut(scenario, options);
    summary.expectations = judge(scenario, summary);
    return summary;
  }
  const { progress } = options;
  const startedAt = new Date();
  const runStartedAt = performance.now();
  const fetch = options.fetch ?? 'node-http';
  const loopDelay = { p50: 0, p99: 0, max: 0 };
  progress.phase('starting the lab server');
  const lab = await LabUnderTest.start(
    scenario.retention,
    scenario.classroom !== null,
    scenario.reconnectWaitMs ?? null,
  );
  try {
    const clock = await clockNote(lab);
    const phases: Summary['phases'] = [];
    let cpuMs = 0;
    /** Messages received while counting: server CPU in the same span is divided by them. */
    let counted = 0;
    let runnerCpuMs = 0;
    /** The runner's own publishes over every point, when it published (a failed one must never vanish). */
    let publishes: Summary['publisher'];
    /** A classroom scenario's verdict at each class size it ran. */
    const classSizes: ClassSizeVerdict[] = [];
    const judgeClass = (spec: RunSpec, result: PointResult, transports: Summary['transports']) => {
      if (!scenario.classroom || !result.pages) return;
      const countedMs = Math.max(0, ...Object.values(transports).map((t) => t?.countedMs ?? 0));
      const verdict = judgeClassSize({
        pages: result.pages,
        groups: spec.groups,
        transports,
        budgetMs: scenario.classroom.budgetMs,
        serverCpuMs: result.cost.cpuMs,
        countedMs,
      });
      classSizes.push(verdict);
      progress.log(
        `${verdict.pages} pages: ${verdict.pass ? 'within budget' : `over budget (${verdict.reasons.join('; ')})`}`,
      );
    };
    const point = async (spec: RunSpec, label: string, faults = scenario.faults): Promise<PointResult> => {
      const result = await runPoint({
        lab,
        spec,
        faults,
        progress,
        runStartedAt,
        label,
        fetch,
        classroom: scenario.classroom,
      });
      // The worst window: a run is as trustworthy as its busiest moment.
      for (const k of ['p50', 'p99', 'max'] as const)
        loopDelay[k] = Math.max(loopDelay[k], result.runnerLoopDelayMs[k]);
      phases.push(...result.phases);
      cpuMs += result.cost.cpuMs;
      counted += result.counted;
      runnerCpuMs += result.runnerCpuMs;
      if (result.publishes) {
        publishes ??= { published: 0, failed: 0 };
        publishes.published += result.publishes.published;
        publishes.failed += result.publishes.failed;
      }
      return result;
    };

    let transports: Summary['transports'] = {};
    let groups: GroupSummary[] | undefined;
    let sweep: Summary['sweep'];
    if (scenario.sweep) {
      const { parameter, unit, values, oneTransportAtATime } = scenario.sweep;
      const points: SweepPoint[] = [];
      for (const value of values) {
        const spec = specAt(scenario, value);
        const label = `${parameter} = ${value} ${unit}: `.replace(/ +:/, ':');
        const runs = oneTransportAtATime ? splitByTransport(spec) : [spec];
        const at: SweepPoint = { value, transports: {}, server: { cpuMs: 0, rssMaxBytes: 0 } };
        for (const run of runs) {
          const only = oneTransportAtATime ? `${run.groups[0]?.transport} ` : '';
          const result = await point(run, `${label}${only}`, []);
          const merged = collect(result);
          judgeClass(run, result, merged.transports);
          Object.assign(at.transports, merged.transports);
          if (merged.groups) at.groups = [...(at.groups ?? []), ...merged.groups];
          if (oneTransportAtATime)
            for (const t of Object.keys(merged.transports) as TransportName[]) attachCost(at.transports[t], result);
          at.server.cpuMs += result.cost.cpuMs;
          at.server.rssMaxBytes = Math.max(at.server.rssMaxBytes, result.cost.rssMaxBytes);
        }
        const predicted = scenario.sweep.predict?.(spec, value, at);
        if (predicted) at.predicted = predicted;
        points.push(at);
        progress.log(`${parameter} = ${value} ${unit}: done`);
      }
      sweep = { parameter, unit, points };
      transports = points.at(-1)?.transports ?? {};
    } else {
      const result = await point(scenario, '');
      ({ transports, groups } = collect(result));
      judgeClass(scenario, result, transports);
    }

    let capacity: Summary['capacity'];
    if (scenario.capacity) {
      progress.phase('capacity: autocannon on /api/poll, bare Fastify and bare node:http');
      const start = performance.now() - runStartedAt;
      lab.meter.startPhase();
      capacity = await runCapacity(lab.api, lab.pid, scenario.capacity, (line) => progress.log(line));
      phases.push({
        name: 'capacity (autocannon)',
        startMs: start,
        endMs: performance.now() - runStartedAt,
        ...lab.meter.endPhase(),
      });
    }

    const rssMaxBytes = lab.meter.rssMaxBytes;
    progress.phase('stopping the lab server');
    await lab.stop();

    const summary: Summary = {
      scenario: scenario.name,
      description: scenario.description,
      params: { ...paramsOf(scenario, options.overrides ?? {}, lab.restarts), pollFetch: fetch },
      startedAt: startedAt.toISOString(),
      durationMs: performance.now() - runStartedAt,
      machine: machineInfo(),
      clock,
      transports,
      server: { cpuMs, rssMaxBytes, cpuUsPerDelivered: counted > 0 ? (cpuMs * 1000) / counted : 0 },
      phases,
      expectations: [],
      runner: {
        cpuMs: runnerCpuMs,
        eventLoopDelayMs: loopDelay,
      },
    };
    if (sweep) summary.sweep = sweep;
    if (capacity) summary.capacity = capacity;
    if (groups) summary.groups = groups;
    if (publishes) summary.publisher = publishes;
    if (scenario.classroom) summary.classCapacity = classCapacity(classSizes, scenario.classroom.budgetMs);
    summary.expectations = judge(scenario, summary);
    return summary;
  } finally {
    await lab.stop();
  }
}

/** The h1-vs-h2 kind: one client per transport and protocol against a lab with h2c and TLS ports. */
async function runComparison(scenario: Scenario, options: RunOptions): Promise<Summary> {
  const startedAt = new Date();
  const runStartedAt = performance.now();
  const runnerCpu = process.cpuUsage();
  const loop = loopDelayMonitor();
  loop.enable();
  const loadAverageAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const spec = scenario.protocols as NonNullable<Scenario['protocols']>;
  const result = await runProtocolComparison(spec, options.progress);
  loop.disable();
  const used = process.cpuUsage(runnerCpu);
  const summary: Summary = {
    scenario: scenario.name,
    description: scenario.description,
    params: {
      protocols: spec,
      transports: scenario.groups.map((g) => g.transport),
      loadAverageAtStart,
      bytesCountedAt: 'the server’s own accounting at its TCP sockets (GET /api/stats, /api/stats/h2)',
      serverCpuScope:
        'server.cpuMs covers the CPU passes only (no stats calls), publishes included; the per-run figures are net of a bare publish',
    },
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - runStartedAt,
    machine: machineInfo(),
    clock:
      'performance.timeOrigin + performance.now() in both processes (server stamps ts, runner stamps receipt); one host, one clock',
    transports: {},
    server: result.server,
    phases: result.phases,
    expectations: [],
    runner: { cpuMs: (used.user + used.system) / 1000, eventLoopDelayMs: loopDelayMs(loop) },
    protocols: result.protocols,
  };
  summary.expectations = judge(scenario, summary);
  return summary;
}

/** The groups of a run, one run per transport (in TRANSPORTS order). */
function splitByTransport(spec: RunSpec): RunSpec[] {
  return TRANSPORTS.map((t) => ({ ...spec, groups: spec.groups.filter((g) => g.transport === t) })).filter(
    (s) => s.groups.length > 0,
  );
}

/** `transports.<name>` = that transport's first group; `groups` lists them all when some transport has several. */
function collect(result: PointResult): { transports: Summary['transports']; groups?: GroupSummary[] } {
  const transports: Summary['transports'] = {};
  const all: GroupSummary[] = [];
  const seen = new Map<TransportName, number>();
  for (const { spec, summary } of result.groups.values()) {
    seen.set(spec.transport, (seen.get(spec.transport) ?? 0) + 1);
    transports[spec.transport] ??= summary;
    all.push({ name: spec.name, transport: spec.transport, resume: spec.resume, ...summary });
  }
  const several = [...seen.values()].some((n) => n > 1);
  return several ? { transports, groups: all } : { transports };
}

function attachCost(summary: TransportSummary | undefined, result: PointResult): void {
  if (!summary) return;
  summary.serverCost = {
    cpuMs: result.cost.cpuMs,
    rssMaxBytes: result.cost.rssMaxBytes,
    cpuUsPerDelivered:
      (summary.countedMessages ?? 0) > 0 ? (result.cost.cpuMs * 1000) / (summary.countedMessages as number) : 0,
  };
}

function judge(scenario: Scenario, summary: Summary): Summary['expectations'] {
  return scenario.expectations.map((e) => {
    try {
      const verdict = e.check(summary);
      return typeof verdict === 'boolean' ? { text: e.text, pass: verdict } : { text: e.text, ...verdict };
    } catch (error) {
      return { text: e.text, pass: false, detail: `the check threw: ${(error as Error).message}` };
    }
  });
}

async function clockNote(lab: LabUnderTest): Promise<string> {
  const base =
    'performance.timeOrigin + performance.now() in both processes (server stamps ts, runner stamps receipt); one host, one clock';
  try {
    const estimate = await estimateOffset(globalThis.fetch, lab.api.url, 8);
    return `${base}; /api/time offset ${estimate.offsetMs.toFixed(3)} ms ± ${(estimate.rttMs / 2).toFixed(3)} ms (measured, not applied)`;
  } catch (error) {
    return `${base}; offset not measured: ${(error as Error).message}`;
  }
}

function paramsOf(scenario: Scenario, overrides: Record<string, unknown>, restarts: number): Record<string, unknown> {
  const group = (g: GroupSpec) => {
    const out: Record<string, unknown> = {
      name: g.name,
      transport: g.transport,
      count: g.count,
      resume: g.resume,
      startSpreadMs: g.startSpreadMs,
      network: g.network,
    };
    if (g.transport === 'short-poll') out.pollIntervalMs = g.pollIntervalMs;
    if (g.transport === 'long-poll') out.longPollTimeoutMs = g.longPollTimeoutMs;
    if (g.subprotocol !== null) out.subprotocol = g.subprotocol;
    if (g.compress) out.compress = true;
    return out;
  };
  const params: Record<string, unknown> = {
    feed: scenario.feed,
    rate: scenario.feed.rate,
    payloadBytes: scenario.feed.payloadBytes,
    clients: scenario.groups.map(group),
    durationMs: scenario.durationMs,
    warmupMs: scenario.warmupMs,
    faults: scenario.faults,
    serverRestarts: restarts,
    bytesCountedAt: 'a TCP proxy per client group in the runner process (bytes received from each side)',
    serverCpuScope:
      'server.cpuMs covers the measurement windows (feed running, counters on), not boot, warm-up, drains or capacity; per delivered = per message received in those windows',
  };
  // What a client waits before reconnecting: SSE's `retry:` is the server's, the others' the lab client's.
  params.reconnectWait =
    scenario.reconnectWaitMs === undefined
      ? {
          sseRetryMs: Number(process.env.SSE_RETRY_MS ?? DEFAULT_OPTIONS.sseRetryMs),
          othersFirstRetryMs: `full jitter, uniform 0–${DEFAULT_BACKOFF.baseMs} (client/backoff.ts)`,
        }
      : { sseRetryMs: scenario.reconnectWaitMs, othersFirstRetryMs: scenario.reconnectWaitMs, jitter: false };
  if (scenario.retention !== null) params.retention = scenario.retention;
  if (scenario.capacity) params.capacity = scenario.capacity;
  if (scenario.classroom) params.classroom = scenario.classroom;
  if (scenario.sweep) {
    params.sweep = {
      parameter: scenario.sweep.parameter,
      unit: scenario.sweep.unit,
      values: scenario.sweep.values,
      oneTransportAtATime: scenario.sweep.oneTransportAtATime === true,
    };
  }
  if (Object.keys(overrides).length > 0) params.overrides = overrides;
  return params;
}
