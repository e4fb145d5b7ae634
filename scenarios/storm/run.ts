/**
 * The `storm` scenario's run (`npm run scenario -- storm`, alias `npm run storm`;
 * scenarios/library/storm.ts): the reconnect storm of scripts/reliability/storm.ts — the fleet in
 * child processes behind their own proxies, a server SIGKILL + restart and a reset of every
 * connection — returned as a `Summary` like every scenario, its figures under `storm`
 * (scenarios/storm/result.ts), so cli.ts prints and writes it and scenarios/render/ draws the
 * recovery curve and the server's memory.
 */
import os from 'node:os';
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import type { Scenario } from '../define.js';
import type { StormDef } from '../definition-schema.js';
import { loopDelayMonitor, loopDelayMs } from '../loop-delay.js';
import { machineInfo } from '../machine.js';
import type { Progress } from '../progress.js';
import type { Summary } from '../summary.js';
import type { StormFigures } from './result.js';

/** How long a storm should take, for the progress bar: arrivals, steady stretches, each drop's recovery. */
export function plannedStormMs(scenario: Scenario): number {
  const spec = scenario.storm as StormDef;
  const arrive = (spec.clients / spec.arrivalsPerSecond) * 1_000 + 5_000;
  return arrive + spec.faults.length * (spec.steadyMs + spec.backWithinMs / 2 + spec.settleMs);
}

/** A seed when none is given: printed, so the run can be replayed (`--seed`). */
export const freshSeed = (): number => Date.now() % 1_000_000_000;

export async function runStormScenario(
  scenario: Scenario,
  options: { progress: Progress; seed?: number; overrides?: Record<string, unknown> },
): Promise<Summary> {
  const spec = scenario.storm as StormDef;
  const { progress } = options;
  const seed = options.seed ?? freshSeed();
  const poll = scenario.groups.find((g) => g.transport === 'short-poll');
  const mix: Partial<Record<TransportName, number>> = Object.fromEntries(
    TRANSPORTS.map((t) => [t, scenario.groups.find((g) => g.transport === t)?.count ?? 0]),
  );
  progress.log(`storm seed ${seed} (replay: npm run scenario -- storm --seed ${seed} --clients ${spec.clients})`);
  const runStartedAt = performance.now();
  const runnerCpu = process.cpuUsage();
  const loop = loopDelayMonitor();
  loop.enable();
  progress.phase(`${spec.clients} clients in ${spec.processes} client processes`);
  // Loaded here, not with the CLI: it brings esbuild and the fleet, which no other scenario needs.
  const { runStorm } = await import('../../scripts/reliability/storm.js');
  const result = await runStorm({
    clients: spec.clients,
    processes: spec.processes,
    rate: scenario.feed.rate,
    seed,
    faults: [...spec.faults],
    steadyMs: spec.steadyMs,
    observeMs: spec.observeMs,
    settleMs: spec.settleMs,
    backWithinMs: spec.backWithinMs,
    rssFactor: spec.rssFactor,
    pollIntervalMs: poll?.pollIntervalMs ?? 1_000,
    arrivalsPerSecond: spec.arrivalsPerSecond,
    mix,
    log: (line) => progress.log(line),
    status: (line) => progress.status(line),
  });
  loop.disable();
  const used = process.cpuUsage(runnerCpu);
  const { options: o, startedAt, phases, ...figures } = result;
  const storm: StormFigures = {
    settings: {
      clients: o.clients,
      processes: o.processes,
      rate: o.rate,
      seed: o.seed,
      faults: [...o.faults],
      steadyMs: o.steadyMs,
      observeMs: o.observeMs,
      settleMs: o.settleMs,
      backWithinMs: o.backWithinMs,
      rssFactor: o.rssFactor,
      pollIntervalMs: o.pollIntervalMs,
      arrivalsPerSecond: o.arrivalsPerSecond,
      mix: Object.fromEntries(Object.entries(o.mix ?? mix).filter(([, w]) => (w ?? 0) > 0)) as Record<string, number>,
    },
    ...figures,
  };
  const cpuMs = phases.reduce((sum, p) => sum + p.cpuMs, 0);
  return {
    scenario: scenario.name,
    description: scenario.description,
    params: {
      feed: scenario.feed,
      rate: scenario.feed.rate,
      storm: storm.settings,
      loadAverageAtStart: result.loadAtStart.map((l) => Math.round(l * 100) / 100),
      replay: `npm run scenario -- storm --clients ${o.clients} --seed ${o.seed}`,
      back: 'a client is back once it is up again and the server has reached it (a message or a reset notice) after the drop (scripts/reliability/fleet.ts DropWatch)',
      bytesCountedAt: 'not counted: a storm counts clients back, not bytes',
      serverCpuScope:
        'server.cpuMs: /proc utime+stime of the server over the whole run, the killed process up to the kill plus the new one; per delivered = over every message the fleet’s audits counted',
      ...(options.overrides && Object.keys(options.overrides).length > 0 ? { overrides: options.overrides } : {}),
    },
    startedAt,
    durationMs: performance.now() - runStartedAt,
    machine: machineInfo(),
    clock: `performance.timeOrigin + performance.now() in every process (the client processes stamp their samples and each member's way back); one host, one clock; ${os.cpus().length} cores shared by the server and the client processes`,
    transports: {},
    server: {
      cpuMs,
      rssMaxBytes: Math.max(0, ...phases.map((p) => p.rssMaxBytes)),
      cpuUsPerDelivered: storm.delivered > 0 ? (cpuMs * 1000) / storm.delivered : 0,
    },
    phases,
    expectations: [],
    runner: { cpuMs: (used.user + used.system) / 1000, eventLoopDelayMs: loopDelayMs(loop) },
    storm,
  };
}
