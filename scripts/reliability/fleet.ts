/**
 * A fleet of real clients (client/, the same library the dashboard and the scenarios use) of
 * mixed transports, each with its own delivery audit (client/audit.ts). Used by the soak and the
 * storm: start N, replace some (churn), count who is connected, and add up what the audits say.
 */
import http from 'node:http';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { type AuditSnapshot, DeliveryAudit } from '../../client/audit.js';
import { createClient, type FeedClient, type FeedClientOptions } from '../../client/transports/index.js';
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { createHttpFetch } from '../../tools/http-fetch.js';

/** How a mixed fleet is split: streams are most of a real audience, polls a share of it. */
export const DEFAULT_MIX: Partial<Record<TransportName, number>> = {
  websocket: 4,
  sse: 4,
  'long-poll': 1,
  'short-poll': 1,
};

export interface FleetOptions {
  baseUrl: string;
  clients: number;
  /** Relative weights; transports not named get weight 1 (a transport added later is included). */
  mix?: Partial<Record<TransportName, number>>;
  pollIntervalMs?: number;
  longPollTimeoutMs?: number;
  reconnect?: FeedClientOptions['reconnect'];
  /** Each member's own backoff draws (a seeded run): called with the member's serial number. */
  randomFor?: (serial: number) => () => number;
  /** Prefix of the client ids (`<prefix>-<transport>-<n>`). */
  prefix?: string;
}

export interface Member {
  id: string;
  transport: TransportName;
  client: FeedClient;
  audit: DeliveryAudit;
  /** Times this member's client went from open/waiting to something else and back. */
  reconnects: number;
  /** A reset notice was received (the server said explicitly that the cursor was not honoured). */
  resets: number;
  /** The sum of the reset notices' `missed`: messages the server said were gone (explicit loss). */
  missedExplicit: number;
  /** Connected and working: true from the client's `open` (first answer, stream open, hello) to its next error. */
  up: boolean;
  /** The drop being watched (markDrop), else null. */
  drop: DropWatch | null;
}

/**
 * One member through one drop (Fleet.markDrop): when it noticed (its first error after the drop)
 * and when the server reached it again (its next `open` — a first answer, a stream opened, a hello —
 * or message or reset notice after it noticed; a
 * member that never noticed — a short poll between two polls — is back at its first receipt after
 * the drop). Bytes already in a socket buffer at the drop may still be read before the client
 * notices, so a receipt before the notice does not count as back.
 */
export interface DropWatch {
  at: number;
  noticedAt: number | null;
  backAt: number | null;
  firstReceiptAt: number | null;
  /** The audit and explicit loss at the drop, to tell what this drop did. */
  before: AuditSnapshot;
  missedExplicitBefore: number;
}

export interface FleetTotals {
  members: number;
  connected: number;
  delivered: number;
  duplicates: number;
  reordered: number;
  lost: number;
  /** Lost without any notice: holes in the sequence not covered by a reset notice's `missed`. */
  lostSilently: number;
  resets: number;
}

/** How many clients of each transport, by weight, adding up to `total` exactly. */
export function split(
  total: number,
  mix: Partial<Record<TransportName, number>> = DEFAULT_MIX,
): Record<TransportName, number> {
  const weights = TRANSPORTS.map((t) => mix[t] ?? 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((total * w) / sum));
  for (let i = 0; counts.reduce((a, b) => a + b, 0) < total; i = (i + 1) % counts.length)
    counts[i] = (counts[i] ?? 0) + 1;
  return Object.fromEntries(TRANSPORTS.map((t, i) => [t, counts[i] ?? 0])) as Record<TransportName, number>;
}

/** The one clock of every process on this host: ms since the Unix epoch, sub-millisecond. */
export const clock = (): number => performance.timeOrigin + performance.now();

export const isConnected = (client: FeedClient): boolean => client.state === 'open' || client.state === 'waiting';

export class Fleet {
  readonly members: Member[] = [];
  private serial = 0;
  // The polls' keep-alive sockets, closed by stop(): a fleet that left leaves no socket behind.
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly fetch = createHttpFetch(this.agent);

  constructor(private readonly options: FleetOptions) {}

  /** Create and start every member, `perTick` every `tickMs` so the server is not hit by one wall. */
  async start(perTick = 50, tickMs = 20): Promise<void> {
    const counts = split(this.options.clients, this.options.mix);
    // Interleaved (each transport's i-th member at i / its count of the way): every transport
    // arrives from the first tick on, not one after the other.
    const plan = TRANSPORTS.flatMap((t) => Array.from({ length: counts[t] }, (_, i) => ({ t, at: i / counts[t] })))
      .sort((a, b) => a.at - b.at)
      .map((p) => p.t);
    for (let i = 0; i < plan.length; i += perTick) {
      for (const transport of plan.slice(i, i + perTick)) this.add(transport);
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
  }

  add(transport: TransportName): Member {
    const serial = this.serial++;
    const id = `${this.options.prefix ?? 'fleet'}-${transport}-${serial}`;
    const random = this.options.randomFor?.(serial);
    const client = createClient(transport, {
      baseUrl: this.options.baseUrl,
      clientId: id,
      resume: true,
      pollIntervalMs: this.options.pollIntervalMs ?? 1_000,
      longPollTimeoutMs: this.options.longPollTimeoutMs ?? 25_000,
      reconnect: random === undefined ? this.options.reconnect : { ...this.options.reconnect, random },
      fetch: this.fetch,
      WebSocket: WebSocket as never,
      EventSource: EventSource as never,
      io: io as never,
    });
    const member: Member = {
      id,
      transport,
      client,
      audit: new DeliveryAudit(),
      reconnects: 0,
      resets: 0,
      missedExplicit: 0,
      up: false,
      drop: null,
    };
    let wasConnected = false;
    client.on('state', (state) => {
      const now = isConnected(client);
      if (now && !wasConnected && member.audit.snapshot().epoch !== null) member.reconnects += 1;
      wasConnected = now;
      if (state !== 'open') return;
      member.up = true;
      // `open` follows the first answer, the stream's opening or its hello: the server reached it.
      const drop = member.drop;
      if (drop !== null && drop.noticedAt !== null) drop.backAt ??= clock();
    });
    const received = () => {
      const drop = member.drop;
      const at = clock();
      if (drop === null || at < drop.at) return;
      drop.firstReceiptAt ??= at;
      if (drop.noticedAt !== null) drop.backAt ??= at;
    };
    client.on('message', (message) => {
      member.audit.record(message);
      received();
    });
    client.on('reset', (notice) => {
      member.resets += 1;
      member.missedExplicit += notice.missed ?? 0;
      member.audit.reset(notice);
      received();
    });
    client.on('error', () => {
      member.up = false;
      const at = clock();
      if (member.drop !== null && at >= member.drop.at) member.drop.noticedAt ??= at;
    });
    this.members.push(member);
    client.start();
    return member;
  }

  /** Stop one member (a client leaving) and start another of the same transport (one arriving). */
  replace(index: number): void {
    const [gone] = this.members.splice(index, 1);
    if (!gone) return;
    gone.client.stop();
    this.add(gone.transport);
  }

  /** Watch every member through a drop that happened at `at` (clock(): ms since the Unix epoch). */
  markDrop(at: number): void {
    for (const m of this.members)
      m.drop = {
        at,
        noticedAt: null,
        backAt: null,
        firstReceiptAt: null,
        before: m.audit.snapshot(),
        missedExplicitBefore: m.missedExplicit,
      };
  }

  /** Members working now: up, and (if a drop is watched) back from it or never touched by it. */
  get working(): number {
    let n = 0;
    for (const m of this.members)
      if (m.up && (m.drop === null || m.drop.noticedAt === null || m.drop.backAt !== null)) n += 1;
    return n;
  }

  get connected(): number {
    let n = 0;
    for (const m of this.members) if (isConnected(m.client)) n += 1;
    return n;
  }

  /** totals() for the members of each transport. */
  totalsByTransport(): Partial<Record<TransportName, FleetTotals>> {
    const out: Partial<Record<TransportName, FleetTotals>> = {};
    for (const transport of TRANSPORTS) out[transport] = this.totals((m) => m.transport === transport);
    return out;
  }

  totals(which: (member: Member) => boolean = () => true): FleetTotals {
    const totals: FleetTotals = {
      members: 0,
      connected: 0,
      delivered: 0,
      duplicates: 0,
      reordered: 0,
      lost: 0,
      lostSilently: 0,
      resets: 0,
    };
    for (const m of this.members) {
      if (!which(m)) continue;
      totals.members += 1;
      const s = m.audit.snapshot();
      if (isConnected(m.client)) totals.connected += 1;
      totals.delivered += s.delivered;
      totals.duplicates += s.duplicates;
      totals.reordered += s.reordered;
      totals.lost += s.lost;
      totals.lostSilently += s.lost - m.missedExplicit;
      totals.resets += s.resets;
    }
    return totals;
  }

  stop(): void {
    for (const m of this.members) m.client.stop();
    this.agent.destroy();
  }
}

/**
 * One request on a connection of its own, closed after the answer (the runner's own calls leave
 * no socket open). Tried up to 5 times, 15 s each: an overloaded server may not accept at once,
 * and a long run must not be lost to one slow answer.
 */
export async function control(url: string, method = 'GET', body?: unknown): Promise<unknown> {
  let last: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await Promise.race([
        controlOnce(url, method, body),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`${method} ${url}: no answer in 15 s`)), 15_000)),
      ]);
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  throw last;
}

function controlOnce(url: string, method: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method,
      agent: false,
      headers:
        body === undefined ? { connection: 'close' } : { connection: 'close', 'content-type': 'application/json' },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        const text = Buffer.concat(chunks).toString();
        try {
          resolve(JSON.parse(text));
        } catch {
          resolve(text);
        }
      });
    });
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
