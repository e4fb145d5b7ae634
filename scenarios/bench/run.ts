/**
 * One benchmark run: the lab and every bare baseline in their own processes, one load-client
 * process, and rounds in which every phase runs against the lab and against its baseline back to
 * back (the order flips every round), so drift on a shared machine hits both alike.
 *
 * Phases of a round:
 * - `<t> idle` (websocket, sse, long poll, short-poll keep-alive sockets): RSS and JS heap per idle
 *   connection, each server in a fresh process of its own (memory.ts says why and how);
 * - `<t> crowd` (websocket, sse): `crowd` clients connect, the feed runs at `crowdRate` and the
 *   p99 event age is taken;
 * - `<t> load`: `load` clients at `rate` msg/s (long poll: its own, lower, load — every answer
 *   is a request, and a baseline that keeps up while the lab falls behind would batch less):
 *   server CPU per delivered message, and the load generator's;
 * - `polls wrk` / `polls autocannon`: polls/s of the lab's `/api/poll` (a one-message answer, from
 *   a second lab process whose feed never runs) beside bare Fastify and bare node:http answering
 *   the same body.
 */
import { loadavg } from 'node:os';
import { ControlClient as ServerApi } from '../../client/control.js';
import { type ChildServer, LISTENING, startChild, startLabServer } from '../../tools/child-process.js';
import { fire } from '../capacity.js';
import { machineInfo } from '../machine.js';
import { readProc } from '../proc-meter.js';
import type { Progress } from '../progress.js';
import type { LoadTransport } from './load-client.js';
import { LoadClient } from './load-handle.js';
import { GC_ON_SIGNAL, type IdleParams, idleRound, ROUTE, SETTLE_MS, type StartFresh } from './memory.js';
import { checkParity, oneMessagePollRoute, readAnswer } from './poll-parity.js';
import { computeRows } from './rows.js';
import type { BenchServer, BenchSummary, Measurement } from './summary.js';
import { runWrk } from './wrk.js';

export interface BenchParams extends IdleParams {
  rounds: number;
  /** Clients and msg/s of the CPU phases of the streams. */
  load: number;
  rate: number;
  /** Clients and msg/s of the long-poll CPU phase. */
  longPollLoad: number;
  longPollRate: number;
  /** Clients and msg/s of the p99 phases. */
  crowd: number;
  crowdRate: number;
  payloadBytes: number;
  /** Seconds each measurement runs. */
  measureS: number;
  /** Connections of wrk and autocannon. */
  pollConnections: number;
  pollS: number;
  /** Only the memory phases (the RSS and heap rows); every other row is then empty. */
  memoryOnly: boolean;
}

export const DEFAULT_PARAMS: BenchParams = {
  rounds: 5,
  load: 500,
  rate: 40,
  longPollLoad: 100,
  longPollRate: 10,
  // 1 000 keeps a whole run near 7 minutes on 2 idle cores; the p99 row is at 2 000 (`--crowd 2000`).
  crowd: 1_000,
  crowdRate: 5,
  idle: 2_000,
  idleWarm: 200,
  payloadBytes: 256,
  measureS: 2,
  pollConnections: 10,
  pollS: 2,
  memoryOnly: false,
};

/** The polls lab's per-client poll limit, polls/s: checked on every poll, never reached. */
export const BENCH_POLL_LIMIT = 1_000_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WARM_MS = 750;

function cpuMsOf(pid: number): number {
  return readProc(pid)?.cpuMs ?? Number.NaN;
}

interface Servers {
  lab: ChildServer;
  labPolls: ChildServer;
  bare: Record<Exclude<BenchServer, 'lab'>, ChildServer>;
}

const BARE_SCRIPTS: Record<Exclude<BenchServer, 'lab'>, string> = {
  'bare ws': 'scenarios/bench/bare-ws-server.ts',
  'bare SSE': 'scenarios/bench/bare-sse-server.ts',
  'bare long poll': 'scenarios/bench/bare-long-poll-server.ts',
  'bare Fastify long poll': 'scenarios/bench/bare-fastify-long-poll-server.ts',
  'bare node:http': 'scenarios/baseline-server.ts',
  'bare Fastify': 'scenarios/fastify-baseline-server.ts',
};

/** A bare baseline in its own process; `gc`: with the GC hook the memory phases read (memory.ts). */
function startBare(name: Exclude<BenchServer, 'lab'>, env: Record<string, string>, gc = false): Promise<ChildServer> {
  const hook = gc
    ? [...GC_ON_SIGNAL.nodeFlags, '--import', 'tsx', ...GC_ON_SIGNAL.imports.flatMap((m) => ['--import', m])]
    : ['--import', 'tsx'];
  return startChild([...hook, BARE_SCRIPTS[name]], LISTENING, env);
}

/** The memory phases' servers: a fresh process each time, with the GC hook. */
const freshStarter =
  (env: Record<string, string>): StartFresh =>
  (name) =>
    name === 'lab' ? startLabServer(GC_ON_SIGNAL) : startBare(name, env, true);

async function startServers(): Promise<{
  servers: Servers;
  pollRoute: string;
  startFresh: StartFresh;
  stop: () => Promise<void>;
}> {
  const started: ChildServer[] = [];
  const stop = async () => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  try {
    const lab = await startLabServer();
    started.push(lab);
    // The polls get a lab of their own whose feed never runs, so its answer stays the one-message
    // body the bare servers answer with, however many messages the stream phases published.
    // Its poll limit still runs on every poll, at a rate no load generator here reaches: at its
    // default (500/s per client) wrk's single client id would be answered 429 most of the time.
    const labPolls = await startLabServer({ args: ['--poll-rate-limit', String(BENCH_POLL_LIMIT)] });
    started.push(labPolls);
    const pollRoute = await oneMessagePollRoute(labPolls.url);
    const labAnswer = await readAnswer(new URL(pollRoute, labPolls.url).toString());
    // The same body and the same headers: the baselines put as many bytes on the wire as the lab.
    const env = { BASELINE_BODY: labAnswer.body, BASELINE_HEADERS: JSON.stringify(labAnswer.headers) };
    const bare = {} as Servers['bare'];
    for (const name of Object.keys(BARE_SCRIPTS) as (keyof typeof BARE_SCRIPTS)[]) {
      const server = await startBare(name, env);
      started.push(server);
      bare[name] = server;
    }
    for (const name of ['bare node:http', 'bare Fastify'] as const)
      checkParity(name, labAnswer, await readAnswer(new URL(pollRoute, bare[name].url).toString()));
    return { servers: { lab, labPolls, bare }, pollRoute, startFresh: freshStarter(env), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function runBench(params: BenchParams, progress: Progress, command: string): Promise<BenchSummary> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const at = () => performance.now() - t0;
  const loadStart = loadavg();
  progress.phase('starting the lab and the bare baselines');
  // Memory only: no long-lived server at all; the fresh bare node:http then answers `{}` (its
  // body goes by before the socket idles, so it does not change the idle figure).
  const { servers, pollRoute, startFresh, stop } = params.memoryOnly
    ? { servers: null, pollRoute: '', startFresh: freshStarter({}), stop: async () => {} }
    : await startServers();
  const client = await LoadClient.start();
  const measurements: Measurement[] = [];
  const rounds: BenchSummary['rounds'] = [];
  const serverOf = (name: BenchServer): ChildServer => {
    if (servers === null) throw new Error('no long-lived servers in a memory-only run');
    return name === 'lab' ? servers.lab : servers.bare[name];
  };

  /** Connect, maybe measure with the feed running, disconnect. */
  async function streamPhase(
    round: number,
    name: BenchServer,
    transport: LoadTransport,
    phase: string,
    clients: number,
    rate: number,
  ): Promise<void> {
    const server = serverOf(name);
    const api = new ServerApi(server.url);
    progress.status(`round ${round}: ${phase}, ${name}`);
    const feed = await api.feed();
    const openErrors = await client.open(transport, `${server.url}${ROUTE[transport]}`, clients, feed.head);
    await sleep(SETTLE_MS);
    const m: Measurement = {
      round,
      server: name,
      phase,
      clients,
      seconds: 0,
      serverCpuMs: 0,
      clientCpuMs: 0,
      deliveries: 0,
      errors: openErrors,
    };
    if (rate > 0) {
      await api.setFeed({ rate, payloadBytes: params.payloadBytes, mode: 'steady', running: true });
      await sleep(WARM_MS);
      await client.measure();
      const server0 = cpuMsOf(server.pid);
      const client0 = cpuMsOf(client.pid);
      const started = performance.now();
      await sleep(params.measureS * 1000);
      const result = await client.result();
      m.seconds = (performance.now() - started) / 1000;
      m.serverCpuMs = cpuMsOf(server.pid) - server0;
      m.clientCpuMs = cpuMsOf(client.pid) - client0;
      m.deliveries = result.deliveries;
      m.ageMs = result.ageMs;
      m.answers = result.answers;
      m.errors += result.errors;
      await api.setFeed({ running: false });
    }
    await client.close();
    measurements.push(m);
    await sleep(250); // let the server see the closes
  }

  async function pollPhase(round: number, name: BenchServer): Promise<void> {
    const server = name === 'lab' ? (servers?.labPolls ?? serverOf(name)) : serverOf(name);
    const url = new URL(pollRoute, server.url).toString();
    const base = { round, server: name, clients: params.pollConnections };
    progress.status(`round ${round}: polls (wrk), ${name}`);
    let server0 = cpuMsOf(server.pid);
    const wrk = await runWrk(url, params.pollConnections, params.pollS);
    measurements.push({
      ...base,
      phase: 'polls wrk',
      seconds: wrk.seconds,
      serverCpuMs: cpuMsOf(server.pid) - server0,
      clientCpuMs: wrk.cpuMs,
      deliveries: wrk.requests,
      errors: wrk.errors,
    });
    progress.status(`round ${round}: polls (autocannon), ${name}`);
    server0 = cpuMsOf(server.pid);
    const self0 = process.cpuUsage();
    const started = performance.now();
    const cannon = await fire(url, server.pid, params.pollConnections, params.pollS, 1);
    const self = process.cpuUsage(self0);
    measurements.push({
      ...base,
      phase: 'polls autocannon',
      seconds: (performance.now() - started) / 1000,
      serverCpuMs: cpuMsOf(server.pid) - server0,
      clientCpuMs: (self.user + self.system) / 1000,
      deliveries: cannon.requests,
      errors: cannon.errors,
    });
  }

  const streams = [
    ['websocket', 'bare ws'],
    ['sse', 'bare SSE'],
    ['long-poll', 'bare long poll'],
  ] as const;
  try {
    if (servers !== null) {
      // Warm every long-lived server's JIT once, unmeasured.
      progress.phase('warm-up');
      for (const server of [servers.labPolls, servers.bare['bare Fastify'], servers.bare['bare node:http']]) {
        await fire(new URL(pollRoute, server.url).toString(), server.pid, params.pollConnections, 1, 1);
      }
      for (const [transport, bare] of streams) {
        for (const name of ['lab', bare] as const) await streamPhase(0, name, transport, 'warm-up', 100, params.rate);
      }
      await streamPhase(0, 'bare Fastify long poll', 'long-poll', 'warm-up', 100, params.rate);
      measurements.length = 0;
    }

    for (let round = 1; round <= params.rounds; round++) {
      progress.phase(`round ${round}/${params.rounds}`);
      const roundStart = at();
      // Flip the order every round: neither side always runs on a machine the other just warmed.
      const pair = <T extends BenchServer>(bare: T): BenchServer[] => (round % 2 === 1 ? ['lab', bare] : [bare, 'lab']);
      measurements.push(...(await idleRound(round, pair, params, startFresh, client, progress)));
      for (const [transport, bare] of params.memoryOnly ? [] : streams) {
        // The p99 of a crowd, on the long-lived (warm) servers; a long poll's crowd has no row.
        if (transport !== 'long-poll')
          for (const name of pair(bare))
            await streamPhase(round, name, transport, `${transport} crowd`, params.crowd, params.crowdRate);
        const [clients, rate] =
          transport === 'long-poll' ? [params.longPollLoad, params.longPollRate] : [params.load, params.rate];
        // The long poll has a second baseline, bare Fastify (an informational row): what Fastify alone costs.
        const loadOrder: BenchServer[] =
          transport !== 'long-poll'
            ? pair(bare)
            : round % 2 === 1
              ? ['lab', bare, 'bare Fastify long poll']
              : ['bare Fastify long poll', bare, 'lab'];
        for (const name of loadOrder) await streamPhase(round, name, transport, `${transport} load`, clients, rate);
      }
      const pollOrder: BenchServer[] =
        round % 2 === 1 ? ['lab', 'bare Fastify', 'bare node:http'] : ['bare node:http', 'bare Fastify', 'lab'];
      for (const name of params.memoryOnly ? [] : pollOrder) await pollPhase(round, name);
      rounds.push({ round, loadavg: loadavg(), startMs: roundStart, endMs: at() });
      progress.log(
        `round ${round}/${params.rounds} done in ${((at() - roundStart) / 1000).toFixed(0)} s, load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      );
    }
  } finally {
    client.stop();
    await stop();
  }
  return {
    scenario: 'bench',
    kind: 'bench',
    description:
      'The lab against bare Node on every transport: the same clients, interleaved rounds, ratios of the same round, medians.',
    command,
    startedAt,
    durationMs: at(),
    params: { ...params },
    machine: { ...machineInfo(), loadavg: { start: loadStart, end: loadavg() } },
    clock: 'event age = receive time − ts, both performance.timeOrigin + performance.now(), one host',
    rounds,
    measurements,
    rows: computeRows(measurements),
  };
}
