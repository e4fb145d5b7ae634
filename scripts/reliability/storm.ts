/**
 * The reconnect storm (issue 15, item 2; the `storm` scenario: scenarios/library/storm.ts,
 * scenarios/storm/run.ts; `npm run storm`; CI: test/storm.test.ts): N clients of
 * every transport dropped at once, twice —
 *
 *   kill:  the server SIGKILLed (no goodbye to anyone) and a new process started on the same port
 *          (a new epoch: the old history is gone, so every resuming client must be told);
 *   proxy: every client connection reset by the proxies in front of the server (the server lives on,
 *          so every client can resume by its cursor).
 *
 * After each drop the runner follows, every 250 ms, how many clients work again (up and reached by
 * the server since the drop: fleet.ts DropWatch) and the server's RSS and open fds (/proc), until
 * every client is back or `observeMs` ran out; then each client's audit says what the drop did to it:
 * resumed (nothing missing), reset (a reset notice said what was missed) or silently gapped (a
 * hole no notice covered). Clients back off with the lab's full-jitter backoff (client/backoff.ts),
 * each member's draws seeded (`seed`).
 *
 * Where the clients live: in `processes` child processes (storm-clients.ts), each with its share of
 * the clients and its own proxy, none in the runner and none in the server's process: on 2 cores
 * the OS shares the CPU between server and client processes, and every sample carries the client
 * processes' own loop delay and CPU so a verdict can be checked against a starved client side.
 *
 * File descriptors: each client process holds 3 per client (the client's socket and the proxy's
 * two), the server one per client. A process cannot raise its own limit from JavaScript, so a client
 * process is started through `sh -c 'ulimit -n N; exec node …'` when the soft limit is below what
 * it needs (the hard limit permitting); the server's need is checked before anything starts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { build } from 'esbuild';
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { readProc } from '../../scenarios/proc-meter.js';
import type { DropReport, StormFigures, StormSample } from '../../scenarios/storm/result.js';
import { type ChildServer, LISTENING, ROOT, startChild } from '../../tools/child-process.js';
import { clock, DEFAULT_MIX } from './fleet.js';
import { openFds, rssBytes } from './proc.js';
import { freePort } from './server.js';
import type { DropOutcome, StormClientsConfig, StormClientsSample } from './storm-clients.js';

export type StormFault = 'kill' | 'proxy';

export interface StormOptions {
  clients: number;
  processes: number;
  /** Feed rate, msg/s (the server's ticker, running from its start). */
  rate: number;
  seed: number;
  faults: StormFault[];
  /** Before the first drop, every client must work; then this long steady, ms. */
  steadyMs: number;
  /** Follow each drop at most this long, ms (it ends earlier once every client is back, + settleMs). */
  observeMs: number;
  settleMs: number;
  /** The criterion: every client back within this, ms. */
  backWithinMs: number;
  /** The server's memory bound: this many times its steady-state RSS before the first drop. */
  rssFactor: number;
  pollIntervalMs: number;
  /** How fast the clients arrive before the storm, all processes together, per second. */
  arrivalsPerSecond: number;
  /** The transports' shares (fleet.ts DEFAULT_MIX when absent). */
  mix?: Partial<Record<TransportName, number>>;
  log?: (line: string) => void;
  status?: (line: string) => void;
}

/** One stretch of the run with the server's CPU over it (the killed process's up to the kill, then the new one's). */
export interface StormPhase {
  name: string;
  /** ms since the run started. */
  startMs: number;
  endMs: number;
  cpuMs: number;
  rssMaxBytes: number;
}

export interface StormResult extends Omit<StormFigures, 'settings'> {
  options: Omit<StormOptions, 'log' | 'status'>;
  startedAt: string;
  phases: StormPhase[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** This process's `Max open files` (soft, hard) from /proc/self/limits; children inherit it. */
export function fdLimits(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line?.match(/\d+|unlimited/g) ?? []).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  return { soft: soft ?? 1024, hard: hard ?? 1024 };
}

export class ClientProcess {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly clients: number,
  ) {
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`storm client process exited (${code}) before it was ready`)));
      child.on('message', (message: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
        if (message.ready) return resolve();
        const waiter = this.pending.get(message.id ?? -1);
        if (!waiter) return;
        this.pending.delete(message.id ?? -1);
        if (message.error !== undefined) waiter.reject(new Error(message.error));
        else waiter.resolve(message.result);
      });
    });
    child.on('exit', (code) => {
      for (const w of this.pending.values()) w.reject(new Error(`storm client process exited (${code})`));
      this.pending.clear();
    });
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, method, args });
    });
  }
}

export function forkClients(config: StormClientsConfig, fdNeed: number, soft: number): ClientProcess {
  const args = ['--import', 'tsx', 'scripts/reliability/storm-clients.ts', JSON.stringify(config)];
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
  // The IPC channel (an inherited fd named in NODE_CHANNEL_FD) survives the shell's exec.
  const child =
    soft >= fdNeed
      ? spawn(process.execPath, args, { cwd: ROOT, stdio })
      : spawn('sh', ['-c', `ulimit -n ${fdNeed} && exec "$0" "$@"`, process.execPath, ...args], { cwd: ROOT, stdio });
  return new ClientProcess(child, config.clients);
}

/**
 * The server as one plain ES module (esbuild; node_modules stay imports), built once per run: a
 * restart after the kill then costs a Node start, not a TypeScript compile under tsx, as a deployed
 * server's would. It lives in tmp/ of the repository (git-ignored), so its imports resolve as the
 * sources' do.
 */
export async function bundleServer(): Promise<string> {
  const outfile = `${ROOT}tmp/storm/server.mjs`;
  await build({
    entryPoints: [`${ROOT}server/main.ts`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

function startServer(bundle: string, port: number, rate: number): Promise<ChildServer> {
  return startChild(
    [bundle, '--port', String(port), '--https-port', '0', '--rate', String(rate)],
    LISTENING,
    {},
    // A busy shared machine can take long to schedule a new process at all.
    120_000,
  );
}

const percentile = (sorted: number[], p: number): number | null =>
  sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
const seconds = (ms: number | null) => (ms === null ? '–' : (ms / 1000).toFixed(2));

/**
 * The server's CPU over the whole run, across the kill: the processes gone (read just before each
 * SIGKILL) plus the one running now (/proc utime+stime, 10 ms ticks).
 */
class ServerCpu {
  private gone = 0;
  constructor(private pid: number) {}
  now(): number {
    return this.gone + (readProc(this.pid)?.cpuMs ?? 0);
  }
  /** Read the old process once more right before it is killed; then follow the new one. */
  beforeKill(): void {
    this.gone += readProc(this.pid)?.cpuMs ?? 0;
    this.pid = -1;
  }
  follow(pid: number): void {
    this.pid = pid;
  }
}

export async function runStorm(options: StormOptions): Promise<StormResult> {
  const log = options.log ?? (() => {});
  const status = options.status ?? (() => {});
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const t0 = clock();
  const { soft, hard } = fdLimits();
  const perProcess = Math.ceil(options.clients / options.processes);
  const clientProcessNeeds = perProcess * 3 + 256;
  const serverNeeds = options.clients + 256;
  if (hard < clientProcessNeeds || soft < serverNeeds)
    throw new Error(
      `storm: not enough file descriptors: a client process needs ${clientProcessNeeds} (hard limit ${hard}), the server ${serverNeeds} (soft limit ${soft}); raise ulimit -n or use more --processes / fewer --clients`,
    );
  const finite = (n: number) => (Number.isFinite(n) ? n : null);
  const fds = {
    soft: finite(soft),
    hard: finite(hard),
    clientProcessNeeds,
    serverNeeds,
    raised: soft < clientProcessNeeds,
  };

  const port = await freePort();
  const bundle = await bundleServer();
  let server = await startServer(bundle, port, options.rate);
  log(`server pid ${server.pid} on port ${port}, ${options.rate} msg/s`);
  const serverCpu = new ServerCpu(server.pid);
  const processes: ClientProcess[] = [];
  const samples: StormSample[] = [];
  const drops: DropReport[] = [];
  const phases: StormPhase[] = [];
  let phaseFrom = { ms: clock() - t0, cpuMs: serverCpu.now() };
  const endPhase = (name: string) => {
    const ms = clock() - t0;
    const cpuMs = serverCpu.now();
    const rss = samples.filter((s) => s.t * 1000 >= phaseFrom.ms).map((s) => s.serverRssBytes ?? 0);
    phases.push({
      name,
      startMs: phaseFrom.ms,
      endMs: ms,
      cpuMs: cpuMs - phaseFrom.cpuMs,
      rssMaxBytes: Math.max(0, ...rss),
    });
    phaseFrom = { ms, cpuMs };
  };
  let sampling = true;
  let sampler: Promise<void> = Promise.resolve();
  try {
    for (let i = 0; i < options.processes; i++) {
      const clients = Math.min(perProcess, options.clients - i * perProcess);
      if (clients <= 0) break;
      processes.push(
        forkClients(
          {
            upstreamPort: port,
            clients,
            prefix: `storm${i}`,
            seed: options.seed + i,
            pollIntervalMs: options.pollIntervalMs,
            mix: options.mix,
          },
          clientProcessNeeds,
          soft,
        ),
      );
    }
    await Promise.all(processes.map((p) => p.ready));
    log(`${processes.length} client processes ready; starting ${options.clients} clients`);
    await Promise.all(processes.map((p) => p.call('start', options.arrivalsPerSecond / processes.length)));

    const takeSample = async (): Promise<StormSample> => {
      const parts = await Promise.all(processes.map((p) => p.call<StormClientsSample>('sample')));
      // Each process's own moment, not this one's: on a starved machine the answers arrive seconds
      // late, and the curve would show the drop late by as much. The latest of them: the counts are
      // at most what they were then.
      const now = Math.max(...parts.map((p) => p.at));
      const byTransport: Partial<Record<TransportName, number>> = {};
      for (const part of parts)
        for (const [t, n] of Object.entries(part.byTransport))
          byTransport[t as TransportName] = (byTransport[t as TransportName] ?? 0) + n;
      const pid = server.exited ? null : server.pid;
      const s: StormSample = {
        t: (now - t0) / 1000,
        working: parts.reduce((a, p) => a + p.working, 0),
        byTransport,
        serverRssBytes: pid === null ? null : rssBytes(pid),
        serverFds: pid === null ? null : openFds(pid),
        clientLoopP99Ms: Math.max(0, ...parts.map((p) => p.loopP99Ms)),
        // Each process's share over its own interval: two samples taken back to back (the last
        // one of a drop, say) would otherwise divide a whole interval's CPU by a millisecond.
        clientCpuPercent: parts.reduce((a, p) => a + (100 * p.cpuMs) / Math.max(1, p.sinceMs), 0),
        load1: loadavg()[0] ?? 0,
      };
      samples.push(s);
      return s;
    };
    sampler = (async () => {
      while (sampling) {
        const s = await takeSample().catch(() => null);
        if (s)
          status(
            `${s.t.toFixed(1)} s: ${s.working}/${options.clients} working (${Object.entries(s.byTransport)
              .map(([t, n]) => `${t} ${n}`)
              .join(
                ', ',
              )}), server rss ${((s.serverRssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB, fds ${s.serverFds ?? '—'}, client loop p99 ${s.clientLoopP99Ms.toFixed(0)} ms`,
          );
        await sleep(250);
      }
    })();

    // Every client working before the first drop (at most a minute), then a steady stretch.
    const allWorking = clock() + 180_000;
    while ((samples.at(-1)?.working ?? 0) < options.clients && clock() < allWorking) await sleep(250);
    const working = samples.at(-1)?.working ?? 0;
    if (working < options.clients)
      throw new Error(
        `storm: only ${working}/${options.clients} clients working after 180 s: ${JSON.stringify(samples.at(-1)?.byTransport)}`,
      );
    log(`all ${options.clients} clients working; ${options.steadyMs / 1000} s steady`);
    endPhase(`${options.clients} clients arrive`);
    const steadyFrom = (clock() - t0) / 1000;
    await sleep(options.steadyMs);
    const steadyRss = Math.max(
      ...samples.filter((s) => s.t >= steadyFrom).map((s) => s.serverRssBytes ?? 0),
      rssBytes(server.pid) ?? 0,
    );
    const rssBound = steadyRss * options.rssFactor;
    endPhase('steady');

    for (const fault of options.faults) {
      let at: number;
      let serverBackMs: number | null = null;
      let connectionsReset: number | null = null;
      let restarted: Promise<void> = Promise.resolve();
      if (fault === 'kill') {
        // Watch from a moment just ahead, then kill exactly then: no receipt before it counts.
        at = clock() + 100;
        await Promise.all(processes.map((p) => p.call('markDrop', at)));
        await sleep(Math.max(0, at - clock()));
        const old = server;
        serverCpu.beforeKill();
        old.child.kill('SIGKILL');
        log(`SIGKILL to the server (pid ${old.pid}); starting a new one on port ${port}`);
        restarted = (async () => {
          await old.stop('SIGKILL'); // waits for the exit: the port is free again
          server = await startServer(bundle, port, options.rate);
          serverCpu.follow(server.pid);
          serverBackMs = clock() - at;
          log(`new server pid ${server.pid} listening ${(serverBackMs / 1000).toFixed(1)} s after the kill`);
        })();
      } else {
        const answers = await Promise.all(processes.map((p) => p.call<{ at: number; reset: number }>('resetAll')));
        at = Math.min(...answers.map((a) => a.at));
        connectionsReset = answers.reduce((a, b) => a + b.reset, 0);
        log(`the proxies reset ${connectionsReset} connections`);
      }
      const atS = (at - t0) / 1000;
      const until = at + options.observeMs;
      while (clock() < until) {
        await sleep(250);
        const back = await Promise.all(processes.map((p) => p.call<boolean>('allBack')));
        if (back.every(Boolean)) break;
      }
      await restarted;
      await sleep(options.settleMs);
      const outcomes = await Promise.all(
        processes.map((p) => p.call<Partial<Record<TransportName, DropOutcome>>>('outcome')),
      );
      const report = judgeDrop({
        fault,
        atS,
        serverBackMs,
        connectionsReset,
        outcomes,
        samples: samples.filter((s) => s.t >= atS - 2),
        rssBound,
        options,
      });
      drops.push(report);
      endPhase(fault === 'kill' ? 'server SIGKILL + restart, until all back' : 'proxies reset, until all back');
      for (const c of report.criteria) log(`${c.pass ? '✓' : '✗'} ${fault}: ${c.text} — ${c.detail}`);
      if (fault !== options.faults.at(-1)) {
        await sleep(options.steadyMs);
        endPhase('steady');
      }
    }
    const totals = await Promise.all(processes.map((p) => p.call<{ all: { delivered: number } }>('totals')));
    return {
      options: strip(options),
      startedAt: startedAt.toISOString(),
      loadAtStart,
      fdLimits: fds,
      steadyRssBytes: steadyRss,
      rssBoundBytes: rssBound,
      delivered: totals.reduce((sum, t) => sum + t.all.delivered, 0),
      samples,
      drops,
      phases,
      passed: drops.length === options.faults.length && drops.every((d) => d.criteria.every((c) => c.pass)),
    };
  } finally {
    sampling = false;
    await sampler;
    await Promise.allSettled(processes.map((p) => Promise.race([p.call('stop'), sleep(10_000)])));
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await server.stop('SIGTERM');
  }
}

function strip(options: StormOptions): StormResult['options'] {
  const { log: _log, status: _status, ...rest } = options;
  return { ...rest, mix: { ...DEFAULT_MIX, ...rest.mix } };
}

function judgeDrop(input: {
  fault: StormFault;
  atS: number;
  serverBackMs: number | null;
  connectionsReset: number | null;
  outcomes: Partial<Record<TransportName, DropOutcome>>[];
  samples: StormSample[];
  rssBound: number;
  options: StormOptions;
}): DropReport {
  const { fault, atS, outcomes, options } = input;
  const byTransport: DropReport['byTransport'] = {};
  const all: number[] = [];
  const sum = {
    members: 0,
    noticed: 0,
    resumed: 0,
    reset: 0,
    silentlyGapped: 0,
    silentHoles: 0,
    duplicates: 0,
    reordered: 0,
  };
  const notBack: string[] = [];
  for (const t of TRANSPORTS) {
    const parts = outcomes.map((o) => o[t]).filter((o): o is DropOutcome => o !== undefined);
    if (parts.length === 0) continue;
    const delays = parts.flatMap((p) => p.backDelaysMs).sort((a, b) => a - b);
    all.push(...delays);
    const row = {
      members: 0,
      noticed: 0,
      notBack: [] as string[],
      resumed: 0,
      reset: 0,
      silentlyGapped: 0,
      silentHoles: 0,
      duplicates: 0,
      reordered: 0,
      backMsP99: percentile(delays, 99) as number | null,
    };
    for (const p of parts) {
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) {
        row[k] += p[k];
        sum[k] += p[k];
      }
      row.notBack.push(...p.notBack);
    }
    notBack.push(...row.notBack);
    row.notBack = row.notBack.slice(0, 10);
    byTransport[t] = row;
  }
  all.sort((a, b) => a - b);
  const within = all.filter((d) => d <= options.backWithinMs).length;
  const peakRss = Math.max(0, ...input.samples.map((s) => s.serverRssBytes ?? 0));
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const curve = input.samples.map((s) => ({ x: s.t - atS, y: s.working }));
  const criteria = [
    {
      text: `every client back within ${options.backWithinMs / 1000} s`,
      pass: within === sum.members && sum.members === options.clients,
      detail: `${within}/${options.clients} (p50 ${seconds(percentile(all, 50))} s, p99 ${seconds(percentile(all, 99))} s, last ${seconds(percentile(all, 100))} s${input.serverBackMs === null ? '' : `; the new server listened after ${seconds(input.serverBackMs)} s`})`,
    },
    {
      text: 'every client resumed or explicitly reset, none silently gapped',
      pass: sum.silentlyGapped === 0 && notBack.length === 0 && sum.resumed + sum.reset === sum.members,
      detail: `resumed ${sum.resumed}, reset ${sum.reset}, silently gapped ${sum.silentlyGapped} (${sum.silentHoles} messages), not back ${notBack.length}`,
    },
    {
      text: 'nothing twice, nothing reordered',
      pass: sum.duplicates === 0 && sum.reordered === 0,
      detail: `${sum.duplicates} duplicates, ${sum.reordered} reordered`,
    },
    {
      text: `server RSS within its bound (${options.rssFactor} × steady state)`,
      pass: peakRss > 0 && peakRss <= input.rssBound,
      detail: `peak ${mib(peakRss)}, bound ${mib(input.rssBound)}`,
    },
  ];
  return {
    fault,
    atS,
    serverBackMs: input.serverBackMs,
    connectionsReset: input.connectionsReset,
    ...sum,
    back: all.length,
    backWithinLimit: within,
    backMs: { p50: percentile(all, 50), p90: percentile(all, 90), p99: percentile(all, 99), max: percentile(all, 100) },
    notBack: notBack.slice(0, 20),
    byTransport,
    peakRssBytes: peakRss,
    curve,
    criteria,
  };
}
