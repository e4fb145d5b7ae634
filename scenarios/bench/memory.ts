/**
 * The memory rows' phases (`<transport> idle`): RSS and JS heap per idle connection, each server in
 * a FRESH process for each phase of each round.
 *
 * Why fresh: RSS counts pages, and a page freed by the phase before (a crowd that left, a burst of
 * garbage) stays resident and is handed out again, so in a long-lived server "RSS before" already
 * holds room the next crowd moves into for free. The same unchanged code measured 2.3 to 26 KB per
 * connection from round to round that way. A process that served nothing before has no such room.
 *
 * One phase, in one fresh process:
 * 1. `idleWarm` connections open and STAY open: they pay what the first connections pay once
 *    (code compiled, modules loaded lazily, tables sized), which is not a per-connection cost;
 * 2. a full GC (gc-on-signal.ts), RSS and heap read: "before";
 * 3. `idle` more connections (client ids of their own), settle, a full GC, RSS and heap: "idle";
 * 4. every connection closed, the process stopped.
 * Nothing is freed between 2 and 3, so no page a phase before freed is reused.
 *
 * What a fresh process still has: V8 keeps the heap pages its startup's garbage used, resident and
 * empty after a full GC (the lab compiles its TypeScript with tsx at start: 32 MB of young
 * generation and 5 to 9 MB of free old-generation pages), and fills them before the process's RSS
 * grows, so raw RSS growth counted the lab's first ~1 000 idle WebSockets as nearly free (measured:
 * +0.5 to +1.7 KB per connection, then +5 KB once they were used up). Two things take that out:
 * - every memory server runs with a young generation of one fixed size (MEMORY_FLAGS), the same
 *   in both readings, instead of one that grew at start and may grow again under the crowd;
 * - the RSS row reads the resident memory IN USE: RSS − the resident pages of V8's heap + V8's heap
 *   in use (gc-on-signal.ts reads all three in one turn), i.e. V8's free pages out, its live
 *   objects in to the byte.
 * The native part (libuv handles, buffers, parsers) still comes from RSS, with what malloc keeps
 * and trims: that is the noise left (one trim moved a reading by −3 MB), hence the warm connections
 * (the trims at start), a median of rounds and 2 000 connections (1 000 and 2 000 gave the same medians, 2 000 a
 * narrower spread, for a few seconds more a round).
 */
import { ControlClient as ServerApi } from '../../client/control.js';
import type { ChildServer } from '../../tools/child-process.js';
import type { Progress } from '../progress.js';
import type { LoadTransport } from './load-client.js';
import type { LoadClient } from './load-handle.js';
import type { BenchServer, Measurement } from './summary.js';

/** Each transport's idle connection and the bare server it is compared with (the memory rows). */
export const IDLE_BASELINES = [
  ['websocket', 'bare ws'],
  ['sse', 'bare SSE'],
  ['long-poll', 'bare long poll'],
  ['short-poll', 'bare node:http'],
] as const satisfies readonly (readonly [LoadTransport, BenchServer])[];

/** The phase a memory row reads. */
export const idlePhase = (transport: LoadTransport) => `${transport} idle`;

/**
 * Every server the bench reads memory of collects its garbage on SIGUSR2 (gc-on-signal.ts), and has
 * a young generation of one fixed size (two 1 MB semi-spaces): empty after a full GC, and as large
 * before the crowd as with it.
 */
export const MEMORY_FLAGS = ['--expose-gc', '--min-semi-space-size=1', '--max-semi-space-size=1'];
export const GC_ON_SIGNAL = { nodeFlags: MEMORY_FLAGS, imports: ['./scenarios/bench/gc-on-signal.ts'] };
const GC_TIMEOUT_MS = 10_000;
/** Time for connections to settle (accepted, first bytes written) before memory is read. */
export const SETTLE_MS = 750;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A full collection in the server, then its RSS and its JS heap in use (NaN when it did not answer
 * in time). RSS is what the issue asks; the heap is exact to the object, where RSS moves by whole
 * pages. `nth` counts this server's collections, so the line read is this one's.
 */
export async function memoryAfterGc(server: ChildServer, nth: number): Promise<MemoryReading> {
  server.child.kill('SIGUSR2');
  const deadline = performance.now() + GC_TIMEOUT_MS;
  const line = new RegExp(`^bench-gc ${nth} heap (\\d+) physical (\\d+) rss (\\d+)$`, 'm');
  let match = line.exec(server.output());
  while (match === null) {
    if (performance.now() > deadline) return { rss: Number.NaN, heap: Number.NaN, heapResident: Number.NaN };
    await sleep(20);
    match = line.exec(server.output());
  }
  return { heap: Number(match[1]), heapResident: Number(match[2]), rss: Number(match[3]) };
}

export interface MemoryReading {
  /** The process's resident set, bytes. */
  rss: number;
  /** V8's heap in use (live objects after the GC). */
  heap: number;
  /** The resident pages of V8's heap, in use or free. */
  heapResident: number;
}

/** Resident memory in use: RSS without V8's free heap pages (see the top of this file). */
export const residentInUse = (m: { rss: number; heap: number; heapResident: number }): number =>
  m.rss - m.heapResident + m.heap;

export const ROUTE: Record<LoadTransport, string> = {
  websocket: '/api/ws',
  sse: '/api/sse',
  'long-poll': '/api/long-poll',
  'short-poll': '/api/poll',
};

export interface IdleParams {
  /** Connections measured per phase. */
  idle: number;
  /** Connections opened first and kept open, unmeasured (the one-time costs). */
  idleWarm: number;
}

/** Starts a fresh process of one of the bench's servers, with the GC hook. */
export type StartFresh = (name: BenchServer) => Promise<ChildServer>;

/** One memory phase against one fresh server, which it stops. */
async function idleIn(
  server: ChildServer,
  round: number,
  name: BenchServer,
  transport: LoadTransport,
  params: IdleParams,
  client: LoadClient,
): Promise<Measurement> {
  const url = `${server.url}${ROUTE[transport]}`;
  // A long poll asks from the head, so it is held; the other transports ignore it.
  const since = transport === 'long-poll' ? (await new ServerApi(server.url).feed()).head : 0;
  // The warm connections' ids follow the measured ones', so no measured client finds its
  // per-client counters already made.
  let errors = await client.open(transport, url, params.idleWarm, since, params.idle);
  await sleep(SETTLE_MS);
  const before = await memoryAfterGc(server, 1);
  errors = await client.open(transport, url, params.idle, since, 0);
  await sleep(SETTLE_MS);
  const idle = await memoryAfterGc(server, 2);
  await client.close();
  return {
    round,
    server: name,
    phase: idlePhase(transport),
    clients: params.idle,
    seconds: 0,
    serverCpuMs: 0,
    clientCpuMs: 0,
    deliveries: 0,
    rssBeforeBytes: before.rss,
    rssIdleBytes: idle.rss,
    heapBeforeBytes: before.heap,
    heapIdleBytes: idle.heap,
    heapResidentBeforeBytes: before.heapResident,
    heapResidentIdleBytes: idle.heapResident,
    errors,
  };
}

/**
 * A round's memory phases: per transport the lab and its baseline, both started at once (a
 * process that waits costs the other nothing), measured one after the other in `order`, each
 * stopped after its phase.
 */
export async function idleRound(
  round: number,
  order: (bare: BenchServer) => BenchServer[],
  params: IdleParams,
  start: StartFresh,
  client: LoadClient,
  progress: Progress,
): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  for (const [transport, bare] of IDLE_BASELINES) {
    const names = order(bare);
    progress.status(`round ${round}: ${idlePhase(transport)}, starting fresh ${names.join(' and ')}`);
    const started = await Promise.allSettled(names.map((name) => start(name)));
    try {
      for (const [i, name] of names.entries()) {
        const outcome = started[i];
        if (outcome?.status !== 'fulfilled') throw outcome?.reason ?? new Error(`${name} did not start`);
        progress.status(`round ${round}: ${idlePhase(transport)}, ${name}`);
        measurements.push(await idleIn(outcome.value, round, name, transport, params, client));
        await outcome.value.stop();
      }
    } finally {
      for (const outcome of started) if (outcome.status === 'fulfilled') await outcome.value.stop();
    }
  }
  return measurements;
}
