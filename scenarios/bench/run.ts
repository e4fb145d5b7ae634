/**
 * One benchmark run: the lab and every bare baseline in their own processes, one load-client
 * process, and rounds in which every phase runs against the lab and against its baseline back to
 * back (the order flips every round), so drift on a shared machine hits both alike.
 *
 * Phases of a round:
 * - `<t> crowd` (websocket, sse, long-poll): `crowd` clients connect; RSS before and once they
 *   are all connected and idle; then, for the streams, the feed runs at `crowdRate` and the
 *   p99 event age is taken;
 * - `<t> load`: `load` clients at `rate` msg/s (long poll: its own, lower, load — every answer
 *   is a request, and a baseline that keeps up while the lab falls behind would batch less):
 *   server CPU per delivered message, and the load generator's;
 * - `short-poll idle`: `crowd` keep-alive sockets after one poll each, RSS per socket;
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
import { checkParity, readAnswer } from './poll-parity.js';
import { computeRows } from './rows.js';
import type { BenchServer, BenchSummary, Measurement } from './summary.js';
import { runWrk } from './wrk.js';

export interface BenchParams {
  rounds: number;
  /** Clients and msg/s of the CPU phases of the streams. */
  load: number;
  rate: number;
  /** Clients and msg/s of the long-poll CPU phase. */
  longPollLoad: number;
  longPollRate: number;
  /** Clients of the memory and p99 phases, and msg/s of the p99 phase. */
  crowd: number;
  crowdRate: number;
  payloadBytes: number;
  /** Seconds each measurement runs. */
  measureS: number;
  /** Connections of wrk and autocannon. */
  pollConnections: number;
  pollS: number;
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
  payloadBytes: 256,
  measureS: 2,
  pollConnections: 10,
  pollS: 2,
};

/** The polls lab's per-client poll limit, polls/s: checked on every poll, never reached. */
export const BENCH_POLL_LIMIT = 1_000_000;

/** Every server the bench reads memory of collects its garbage on SIGUSR2 (gc-on-signal.ts). */
const GC_ON_SIGNAL = { nodeFlags: ['--expose-gc'], imports: ['./scenarios/bench/gc-on-signal.ts'] };
const GC_TIMEOUT_MS = 10_000;

/**
 * A full collection in the server, then its RSS and its JS heap in use (NaN when it did not answer
 * in time). RSS is what the issue asks; the heap is exact to the object, where RSS moves by whole
 * pages and with what the allocator kept from the phase before.
 */
async function memoryAfterGc(
  server: ChildServer,
  collections: Map<number, number>,
): Promise<{ rss: number; heap: number }> {
  const next = (collections.get(server.pid) ?? 0) + 1;
  collections.set(server.pid, next);
  server.child.kill('SIGUSR2');
  const deadline = performance.now() + GC_TIMEOUT_MS;
  const line = new RegExp(`^bench-gc ${next} heap (\\d+)$`, 'm');
  let match = line.exec(server.output());
  while (match === null) {
    if (performance.now() > deadline) return { rss: Number.NaN, heap: Number.NaN };
    await new Promise((resolve) => setTimeout(resolve, 20));
    match = line.exec(server.output());
  }
  return { rss: readProc(server.pid)?.rssBytes ?? Number.NaN, heap: Number(match[1]) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Time for connections to settle (accepted, first bytes written) before memory is read. */
const SETTLE_MS = 750;
const WARM_MS = 750;

const ROUTE: Record<LoadTransport, string> = {
  websocket: '/api/ws',
  sse: '/api/sse',
  'long-poll': '/api/long-poll',
  'short-poll': '/api/poll',
};

function cpuMsOf(pid: number): number {
  return readProc(pid)?.cpuMs ?? Number.NaN;
}

interface Servers {
  lab: ChildServer;
  labPolls: ChildServer;
  bare: Record<Exclude<BenchServer, 'lab'>, ChildServer>;
}

async function startServers(): Promise<{ servers: Servers; pollRoute: string; stop: () => Promise<void> }> {
  const started: ChildServer[] = [];
  const stop = async () => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  try {
    const lab = await startLabServer(GC_ON_SIGNAL);
    started.push(lab);
    // The polls get a lab of their own whose feed never runs, so its answer stays the one-message
    // body the bare servers answer with, however many messages the stream phases published.
    // Its poll limit still runs on every poll, at a rate no load generator here reaches: at its
    // default (500/s per client) wrk's single client id would be answered 429 most of the time.
    const labPolls = await startLabServer({ args: ['--poll-rate-limit', String(BENCH_POLL_LIMIT)] });
    started.push(labPolls);
    const api = new ServerApi(labPolls.url);
    await api.publish('bench');
    const feed = await api.feed();
    // One message behind the head: every answer carries exactly the newest message.
    const pollRoute = `/api/poll?since=${feed.head - 1}&epoch=${feed.epoch}&client=bench-poll`;
    const labAnswer = await readAnswer(new URL(pollRoute, labPolls.url).toString());
    // The same body and the same headers: the baselines put as many bytes on the wire as the lab.
    const env = { BASELINE_BODY: labAnswer.body, BASELINE_HEADERS: JSON.stringify(labAnswer.headers) };
    const child = (script: string) =>
      startChild(
        [...GC_ON_SIGNAL.nodeFlags, '--import', 'tsx', ...GC_ON_SIGNAL.imports.flatMap((m) => ['--import', m]), script],
        LISTENING,
        env,
      );
    const names = [
      ['bare ws', 'scenarios/bench/bare-ws-server.ts'],
      ['bare SSE', 'scenarios/bench/bare-sse-server.ts'],
      ['bare long poll', 'scenarios/bench/bare-long-poll-server.ts'],
      ['bare Fastify long poll', 'scenarios/bench/bare-fastify-long-poll-server.ts'],
      ['bare node:http', 'scenarios/baseline-server.ts'],
      ['bare Fastify', 'scenarios/fastify-baseline-server.ts'],
    ] as const;
    const bare = {} as Servers['bare'];
    for (const [name, script] of names) {
      const server = await child(script);
      started.push(server);
      bare[name] = server;
    }
    for (const name of ['bare node:http', 'bare Fastify'] as const)
      checkParity(name, labAnswer, await readAnswer(new URL(pollRoute, bare[name].url).toString()));
    return { servers: { lab, labPolls, bare }, pollRoute, stop };
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
  const { servers, pollRoute, stop } = await startServers();
  const client = await LoadClient.start();
  const measurements: Measurement[] = [];
  const rounds: BenchSummary['rounds'] = [];
  const collections = new Map<number, number>();
  const serverOf = (name: BenchServer) => (name === 'lab' ? servers.lab : servers.bare[name]);

  /** Connect, read memory, maybe measure with the feed running, disconnect. */
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
    const before = await memoryAfterGc(server, collections);
    const openErrors = await client.open(transport, `${server.url}${ROUTE[transport]}`, clients, feed.head);
    await sleep(SETTLE_MS);
    const idle = await memoryAfterGc(server, collections);
    const m: Measurement = {
      round,
      server: name,
      phase,
      clients,
      seconds: 0,
      serverCpuMs: 0,
      clientCpuMs: 0,
      deliveries: 0,
      rssBeforeBytes: before.rss,
      rssIdleBytes: idle.rss,
      heapBeforeBytes: before.heap,
      heapIdleBytes: idle.heap,
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
    const server = name === 'lab' ? servers.labPolls : serverOf(name);
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

  try {
    // Warm every server's JIT once, unmeasured.
    progress.phase('warm-up');
    for (const server of [servers.labPolls, servers.bare['bare Fastify'], servers.bare['bare node:http']]) {
      await fire(new URL(pollRoute, server.url).toString(), server.pid, params.pollConnections, 1, 1);
    }
    const streams = [
      ['websocket', 'bare ws'],
      ['sse', 'bare SSE'],
      ['long-poll', 'bare long poll'],
    ] as const;
    for (const [transport, bare] of streams) {
      for (const name of ['lab', bare] as const) await streamPhase(0, name, transport, 'warm-up', 100, params.rate);
    }
    await streamPhase(0, 'bare Fastify long poll', 'long-poll', 'warm-up', 100, params.rate);
    measurements.length = 0;

    for (let round = 1; round <= params.rounds; round++) {
      progress.phase(`round ${round}/${params.rounds}`);
      const roundStart = at();
      // Flip the order every round: neither side always runs on a machine the other just warmed.
      const pair = <T extends BenchServer>(bare: T): BenchServer[] => (round % 2 === 1 ? ['lab', bare] : [bare, 'lab']);
      for (const [transport, bare] of streams) {
        const crowdRate = transport === 'long-poll' ? 0 : params.crowdRate;
        for (const name of pair(bare))
          await streamPhase(round, name, transport, `${transport} crowd`, params.crowd, crowdRate);
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
      for (const name of pair('bare node:http'))
        await streamPhase(round, name, 'short-poll', 'short-poll idle', params.crowd, 0);
      const pollOrder: BenchServer[] =
        round % 2 === 1 ? ['lab', 'bare Fastify', 'bare node:http'] : ['bare node:http', 'bare Fastify', 'lab'];
      for (const name of pollOrder) await pollPhase(round, name);
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
