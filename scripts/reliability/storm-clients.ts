/**
 * One process of the storm's (and the soak's) clients (scripts/reliability/storm.ts forks several): a share of the
 * fleet (fleet.ts: real clients of every transport, each with its own delivery audit) behind a TCP
 * proxy of its own (tools/tcp-proxy.ts), so a "proxy resets every connection" fault is this
 * process resetting its proxy's connections. The clients live outside the runner and outside the
 * server: their event loop is their own, and how busy it was is reported with every sample, so a
 * slow recovery can be told from a slow client process.
 *
 * Driven over the IPC channel: `{id, method, args}` → `{id, result}` or `{id, error}`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { seededRandom } from '../../tools/shaper.js';
import { startProxy } from '../../tools/tcp-proxy.js';
import { clock, Fleet, type Member } from './fleet.js';

export interface StormClientsConfig {
  upstreamPort: number;
  clients: number;
  prefix: string;
  seed: number;
  pollIntervalMs: number;
  mix?: Partial<Record<TransportName, number>>;
  /** Behind a proxy of this process's own (the storm's proxy fault), or straight to the server (the soak). */
  proxy?: boolean;
}

export interface StormClientsSample {
  at: number;
  members: number;
  /** Up and back from the drop being watched (fleet.ts `working`). */
  working: number;
  byTransport: Partial<Record<TransportName, number>>;
  /** This process's event-loop delay since the last sample, ms. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** CPU this process used since the last sample, ms, and how long that was, ms (its own clock). */
  cpuMs: number;
  sinceMs: number;
}

/** How one drop went for this process's members, per transport. */
export interface DropOutcome {
  members: number;
  /** Noticed the drop (an error after it). */
  noticed: number;
  /** Reached by the server again (see fleet.ts DropWatch), with how long after the drop, ms. */
  backDelaysMs: number[];
  notBack: string[];
  /** Back with nothing missing and no reset notice: resumed by cursor (or never disturbed). */
  resumed: number;
  /** Got a reset notice: told explicitly what it missed (a new epoch after a restart, say). */
  reset: number;
  /** A hole in its sequence that no reset notice covered: the failure this scenario looks for. */
  silentlyGapped: number;
  silentHoles: number;
  duplicates: number;
  reordered: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as StormClientsConfig;
if (typeof process.send !== 'function') throw new Error('storm-clients.ts runs as a child with an IPC channel');
const send = process.send.bind(process);

const proxy = config.proxy === false ? null : await startProxy({ upstreamPort: config.upstreamPort });
const fleet = new Fleet({
  baseUrl: proxy?.url ?? `http://127.0.0.1:${config.upstreamPort}`,
  clients: config.clients,
  prefix: config.prefix,
  pollIntervalMs: config.pollIntervalMs,
  mix: config.mix,
  // Each member's full-jitter draws come from its own seeded generator: a seed replays them.
  randomFor: (serial) => seededRandom(config.seed * 7919 + serial),
});
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpu = process.cpuUsage();
let cpuSince = clock();

function sample(): StormClientsSample {
  const byTransport: Partial<Record<TransportName, number>> = {};
  for (const m of fleet.members) if (isWorking(m)) byTransport[m.transport] = (byTransport[m.transport] ?? 0) + 1;
  const used = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  const now = clock();
  const sinceMs = now - cpuSince;
  cpuSince = now;
  const out: StormClientsSample = {
    at: now,
    members: fleet.members.length,
    working: fleet.working,
    byTransport,
    loopP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : 0,
    loopMaxMs: loop.count > 0 ? loop.max / 1e6 : 0,
    cpuMs: (used.user + used.system) / 1000,
    sinceMs,
  };
  loop.reset();
  return out;
}

function isWorking(m: Member): boolean {
  return m.up && (m.drop === null || m.drop.noticedAt === null || m.drop.backAt !== null);
}

/** Each member's back time: after its notice, or (never noticed) its first receipt after the drop. */
function backAt(m: Member): number | null {
  const drop = m.drop;
  if (drop === null) return null;
  return drop.noticedAt === null ? drop.firstReceiptAt : drop.backAt;
}

function allBack(): boolean {
  return fleet.members.every((m) => backAt(m) !== null);
}

function outcome(): Partial<Record<TransportName, DropOutcome>> {
  const out: Partial<Record<TransportName, DropOutcome>> = {};
  for (const t of TRANSPORTS) {
    const members = fleet.members.filter((m) => m.transport === t);
    if (members.length === 0) continue;
    const o: DropOutcome = {
      members: members.length,
      noticed: 0,
      backDelaysMs: [],
      notBack: [],
      resumed: 0,
      reset: 0,
      silentlyGapped: 0,
      silentHoles: 0,
      duplicates: 0,
      reordered: 0,
    };
    for (const m of members) {
      const drop = m.drop;
      if (drop === null) continue;
      if (drop.noticedAt !== null) o.noticed += 1;
      const after = m.audit.snapshot();
      const holes = after.lost - drop.before.lost - (m.missedExplicit - drop.missedExplicitBefore);
      o.duplicates += after.duplicates - drop.before.duplicates;
      o.reordered += after.reordered - drop.before.reordered;
      const back = backAt(m);
      if (back === null) {
        o.notBack.push(m.id);
        continue;
      }
      o.backDelaysMs.push(back - drop.at);
      if (holes > 0) {
        o.silentlyGapped += 1;
        o.silentHoles += holes;
      } else if (after.resets > drop.before.resets) o.reset += 1;
      else o.resumed += 1;
    }
    out[t] = o;
  }
  return out;
}

const methods: Record<string, (...args: never[]) => unknown> = {
  /** Arrive at `perSecond` (the start is not the storm: a wall of new clients would be a second one). */
  start: async (perSecond: number) => {
    await fleet.start(Math.max(1, Math.round(perSecond / 10)), 100);
    return fleet.members.length;
  },
  sample,
  allBack,
  /** Watch a drop at `at` (a moment just ahead: the runner kills the server then). */
  markDrop: (at: number) => fleet.markDrop(at),
  /** The proxy fault: watch from now, then reset every connection of this process's proxy. */
  resetAll: () => {
    const at = clock();
    fleet.markDrop(at);
    return { at, reset: proxy?.resetAll() ?? 0 };
  },
  outcome,
  /** The soak's churn: one member leaves, one of the same transport arrives. */
  churn: () => fleet.replace(Math.floor(Math.random() * fleet.members.length)),
  /** Every member's audit, added up, per transport and in all. */
  totals: () => ({ all: fleet.totals(), byTransport: fleet.totalsByTransport() }),
  stop: async () => {
    fleet.stop();
    await proxy?.close();
    loop.disable();
    setTimeout(() => process.exit(0), 50);
    return true;
  },
};

process.on('message', async (request: { id: number; method: string; args: unknown[] }) => {
  try {
    const method = methods[request.method];
    if (!method) throw new Error(`no method ${request.method}`);
    send({ id: request.id, result: await method(...(request.args as never[])) });
  } catch (error) {
    send({ id: request.id, error: (error as Error).stack ?? String(error) });
  }
});
// The runner gone (crash, Ctrl-C): no client may be left behind.
process.on('disconnect', () => process.exit(0));
send({ ready: true });
