/**
 * Reconnect torture (issue 15): one real client of every transport, each behind its own TCP proxy
 * (tools/tcp-proxy.ts) in front of one lab, while the ticker publishes. At seeded random moments
 * the client's connection is cut abruptly, one of three ways, drawn from the same seeded generator:
 *
 * - `server`: the server destroys its own sockets of the client's open connections;
 * - `proxy-reset`: the proxy resets every connection of that client (RST both ways, nothing flushed);
 * - `proxy-mid-chunk`: the proxy relays the server's next chunk only up to a seeded offset strictly
 *   inside it, then resets: for WebSocket the offset is inside a frame (never on a frame boundary),
 *   for SSE inside an event (never right after its blank line), for the polls and Socket.IO inside
 *   an HTTP answer or an Engine.IO frame.
 *
 * Each moment is drawn once the client is back (a connection made since the cut has carried an answer):
 * a wait uniform in [0, maxGapMs). A cut counts as a forced reconnect only when it met such a live
 * connection (one that ended by itself during the wait is drawn again). When every transport has had `cuts` of them the
 * ticker stops at N = the feed's head, and each client must end with exactly 1…N: nothing twice,
 * nothing reordered, nothing missing, no reset notice (the cursor was always inside retention).
 *
 * The seed fixes the moments (the waits between cuts), the kinds and the offsets; the interleaving
 * with the network is the machine's, so a replay repeats the schedule, not every byte.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { createClient } from '../../client/transports/index.js';
import type { FeedClient } from '../../client/transports/types.js';
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { buildApp } from '../../server/app.js';
import { createHttpFetch } from '../../tools/http-fetch.js';
import { type ProxiedConnection, startProxy, type TcpProxy } from '../../tools/tcp-proxy.js';

export const CUT_KINDS = ['server', 'proxy-reset', 'proxy-mid-chunk'] as const;
export type CutKind = (typeof CUT_KINDS)[number];

export interface TortureOptions {
  seed: number;
  /** Forced reconnects (cuts that met a live connection) per transport. */
  cuts: number;
  /** Feed rate, messages/s. */
  rate?: number;
  /** The wait before each cut is drawn uniformly in [0, maxGapMs). */
  maxGapMs?: number;
  transports?: readonly TransportName[];
  /** Called when a client has had no answer for 5 s after a cut. */
  onStall?: (transport: TransportName, what: string) => void;
  /** Called after every forced reconnect. */
  onCut?: (transport: TransportName, done: number) => void;
  /** Give up waiting for the clients to catch up after this long, ms. */
  settleTimeoutMs?: number;
}

export interface SequenceCheck {
  received: number;
  /** First message not 1 (0 = none received). */
  first: number;
  last: number;
  duplicates: number;
  reordered: number;
  /** Sequence numbers skipped (counted when a jump forward is seen). */
  gaps: number;
  resets: number;
}

export interface TransportTorture {
  transport: TransportName;
  cuts: Record<CutKind, number>;
  /** Cuts drawn that met no live connection (the client was between connections): drawn again. */
  missed: Record<CutKind, number>;
  /** Of the mid-chunk cuts: how many stopped inside a WebSocket frame / an SSE event (by parsing the chunk). */
  insideUnit: number;
  /** Times the client's state went back to open/waiting after leaving it. */
  reconnectsSeen: number;
  /** Seconds from the start at which each forced reconnect happened. */
  cutTimes: number[];
  /** Each forced reconnect: its kind, and ms until the client had a live connection again. */
  cutLog: { t: number; kind: CutKind; backMs: number | null }[];
  check: SequenceCheck;
  exact: boolean;
}

export interface TortureResult {
  seed: number;
  cutsPerTransport: number;
  rate: number;
  maxGapMs: number;
  /** The last message published: every client must end with exactly 1…N. */
  n: number;
  durationS: number;
  transports: TransportTorture[];
  passed: boolean;
}

/** mulberry32: small, fast, seedable (the same as test/cut-resume.property.test.ts). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ends of the unmasked WebSocket frames a server chunk holds, if it starts with one (else null). */
export function wsFrameEnds(chunk: Buffer): number[] | null {
  if (chunk.subarray(0, 5).toString('latin1') === 'HTTP/') return null;
  const ends: number[] = [];
  let at = 0;
  while (at < chunk.length) {
    const b0 = chunk[at] ?? 0;
    const b1 = chunk[at + 1];
    if (b1 === undefined || (b0 & 0x70) !== 0 || (b1 & 0x80) !== 0) return ends.length > 0 ? ends : null;
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (at + 4 > chunk.length) break;
      length = chunk.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      if (at + 10 > chunk.length) break;
      length = Number(chunk.readBigUInt64BE(at + 2));
      header = 10;
    }
    at += header + length;
    if (at <= chunk.length) ends.push(at);
  }
  return ends;
}

/** Ends of the SSE events a chunk holds (just after each blank line), if it is stream data (else null). */
export function sseEventEnds(chunk: Buffer): number[] | null {
  const text = chunk.toString('latin1');
  if (text.startsWith('HTTP/')) return null;
  const ends: number[] = [];
  for (let i = text.indexOf('\n\n'); i !== -1; i = text.indexOf('\n\n', i + 1)) ends.push(i + 2);
  return ends;
}

/**
 * Where to cut inside `chunk`: a seeded offset in [1, length-1] that is not the end of a frame or
 * an event, so the client is left holding part of one. Null = not a chunk to cut (a handshake).
 */
export function cutOffset(
  transport: TransportName,
  chunk: Buffer,
  random: () => number,
): { offset: number; insideUnit: boolean } | null {
  const ends = transport === 'websocket' ? wsFrameEnds(chunk) : transport === 'sse' ? sseEventEnds(chunk) : [];
  if (ends === null) return null;
  const boundaries = new Set(ends);
  const candidates: number[] = [];
  for (let offset = 1; offset < chunk.length; offset++) if (!boundaries.has(offset)) candidates.push(offset);
  if (candidates.length === 0) return null;
  const offset = candidates[Math.floor(random() * candidates.length)] as number;
  return { offset, insideUnit: transport === 'websocket' || transport === 'sse' };
}

class SequenceChecker {
  readonly check: SequenceCheck = {
    received: 0,
    first: 0,
    last: 0,
    duplicates: 0,
    reordered: 0,
    gaps: 0,
    resets: 0,
  };
  private readonly seen = new Set<number>();

  record(seq: number): void {
    const c = this.check;
    c.received += 1;
    if (c.first === 0) c.first = seq;
    if (this.seen.has(seq)) c.duplicates += 1;
    else if (seq < c.last) c.reordered += 1;
    else if (seq > c.last + 1) c.gaps += seq - c.last - 1;
    this.seen.add(seq);
    if (seq > c.last) c.last = seq;
  }

  exactly(n: number): boolean {
    const c = this.check;
    return (
      c.first === 1 &&
      c.last === n &&
      c.received === n &&
      c.duplicates === 0 &&
      c.reordered === 0 &&
      c.gaps === 0 &&
      c.resets === 0
    );
  }
}

const isLive = (c: ProxiedConnection) => !c.closed && c.serverToClient > 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runTorture(options: TortureOptions): Promise<TortureResult> {
  const rate = options.rate ?? 100;
  const maxGapMs = options.maxGapMs ?? 120;
  const transports = options.transports ?? TRANSPORTS;
  const random = seededRandom(options.seed);
  // A generator per transport (drawn from the seed), so one transport's draws do not depend on how
  // many times another's cuts missed.
  const randoms = Object.fromEntries(
    transports.map((t) => [t, seededRandom(Math.floor(random() * 2 ** 32))]),
  ) as Record<TransportName, () => number>;

  const app = await buildApp({
    rate,
    running: false,
    sseRetryMs: 20,
    // The polls reconnect hundreds of times a second here: the flood limit is not what is tested.
    pollRequestsPerSecond: 0,
    retention: 100_000,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('torture: no address');
  const { feed, ticker } = app.lab;
  // Every socket the server accepts (the "server" cut destroys them from the server's side).
  const serverSockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    serverSockets.add(socket);
    socket.once('close', () => serverSockets.delete(socket));
  });
  const proxies = new Map<TransportName, TcpProxy>();
  const clients = new Map<TransportName, FeedClient>();
  const checkers = new Map<TransportName, SequenceChecker>();
  const results = new Map<TransportName, TransportTorture>();
  const started = performance.now();

  try {
    for (const transport of transports) {
      const proxy = await startProxy({ upstreamPort: address.port });
      proxies.set(transport, proxy);
      const checker = new SequenceChecker();
      checkers.set(transport, checker);
      const result: TransportTorture = {
        transport,
        cuts: { server: 0, 'proxy-reset': 0, 'proxy-mid-chunk': 0 },
        missed: { server: 0, 'proxy-reset': 0, 'proxy-mid-chunk': 0 },
        insideUnit: 0,
        reconnectsSeen: 0,
        cutTimes: [],
        cutLog: [],
        check: checker.check,
        exact: false,
      };
      results.set(transport, result);
      const client = createClient(transport, {
        baseUrl: proxy.url,
        clientId: `torture-${transport}`,
        resume: true,
        cursor: { epoch: feed.epoch, seq: 0 },
        pollIntervalMs: 20,
        longPollTimeoutMs: 2_000,
        reconnect: { baseMs: 5, capMs: 50 },
        fetch: createHttpFetch(new http.Agent({ keepAlive: true, maxSockets: 1 })),
        WebSocket: WebSocket as never,
        EventSource: EventSource as never,
        io: io as never,
      });
      let wasUp = false;
      client.on('state', (state) => {
        const up = state === 'open' || state === 'waiting';
        if (up && !wasUp && checker.check.received > 0) result.reconnectsSeen += 1;
        wasUp = up;
      });
      client.on('message', (message) => checker.record(message.seq));
      client.on('reset', () => {
        checker.check.resets += 1;
      });
      client.on('error', () => {});
      clients.set(transport, client);
      client.start();
    }

    ticker.update({ running: true });

    // Per transport, the first proxy connection made after its last cut: only those count as live
    // (a connection being torn down by the previous cut is not closed at once).
    const since = Object.fromEntries(transports.map((t) => [t, 0])) as Record<TransportName, number>;
    // Live also means the server still holds its side (a connection the server has closed and the
    // client not yet is on its way out by itself).
    const liveOf = (transport: TransportName) => {
      const serverPorts = new Set<number | null>();
      for (const socket of serverSockets) serverPorts.add(socket.remotePort ?? null);
      return (proxies.get(transport) as TcpProxy).connections
        .slice(since[transport])
        .filter((c) => isLive(c) && serverPorts.has(c.upstreamPort));
    };

    // The client is back once a connection made since its last cut has carried an answer (open
    // still or not: Socket.IO's polling, when its upgrade failed, uses a connection per request).
    const answeredSinceCut = (transport: TransportName) =>
      (proxies.get(transport) as TcpProxy).connections.slice(since[transport]).some((c) => c.serverToClient > 0);

    const cutOnce = async (transport: TransportName, kind: CutKind): Promise<boolean> => {
      const proxy = proxies.get(transport) as TcpProxy;
      const r = randoms[transport];
      // A live connection: open, and the server has already answered on it (a cut of a connection
      // still being set up, or of one the client already left, is not a forced reconnect).
      const live = liveOf(transport);
      if (kind === 'server') {
        // The server's own sockets of those connections (the proxy's upstream port is the server
        // socket's remote port), destroyed by the server.
        const ports = new Set(live.map((c) => c.upstreamPort));
        let destroyed = 0;
        for (const socket of serverSockets) {
          if (socket.destroyed || !ports.has(socket.remotePort ?? null)) continue;
          socket.destroy();
          destroyed += 1;
        }
        return destroyed > 0;
      }
      if (kind === 'proxy-reset') return live.filter((c) => proxy.reset(c)).length > 0;
      let inside = false;
      const fired = await Promise.race([
        proxy
          .cutInsideNextChunk((chunk) => {
            const cut = cutOffset(transport, chunk, r);
            if (cut === null) return null;
            inside = cut.insideUnit;
            return cut.offset;
          })
          .then(() => true),
        sleep(2_000).then(() => false),
      ]);
      if (!fired) {
        proxy.disarmCut();
        return false;
      }
      if (inside) (results.get(transport) as TransportTorture).insideUnit += 1;
      return true;
    };

    await Promise.all(
      transports.map(async (transport) => {
        const r = randoms[transport];
        const result = results.get(transport) as TransportTorture;
        let done = 0;
        const proxy = proxies.get(transport) as TcpProxy;
        while (done < options.cuts) {
          // The moment is drawn from when the client is connected again (answered at least once).
          const waitFrom = performance.now();
          let told = false;
          while (performance.now() - waitFrom < 120_000 && !answeredSinceCut(transport)) {
            if (!told && performance.now() - waitFrom > 5_000) {
              told = true;
              const c = clients.get(transport);
              const p = proxies.get(transport) as TcpProxy;
              options.onStall?.(
                transport,
                `no answer 5 s after its last cut (client ${c?.state}; proxy: ${p.open} open, ${p.connections.length - since[transport]} made since the cut)`,
              );
            }
            await sleep(5);
          }
          const last = result.cutLog.at(-1);
          if (last && last.backMs === null && answeredSinceCut(transport)) last.backMs = performance.now() - waitFrom;
          await sleep(r() * maxGapMs);
          const kind = CUT_KINDS[Math.floor(r() * CUT_KINDS.length)] as CutKind;
          if (await cutOnce(transport, kind)) {
            since[transport] = proxy.connections.length;
            done += 1;
            result.cuts[kind] += 1;
            result.cutTimes.push((performance.now() - started) / 1000);
            result.cutLog.push({ t: (performance.now() - started) / 1000, kind, backMs: null });
            options.onCut?.(transport, done);
          } else {
            result.missed[kind] += 1;
          }
        }
      }),
    );

    ticker.update({ running: false });
    const n = feed.head;
    const settleBy = performance.now() + (options.settleTimeoutMs ?? 60_000);
    while (
      performance.now() < settleBy &&
      transports.some((t) => (checkers.get(t) as SequenceChecker).check.last < n)
    ) {
      await sleep(20);
    }
    // A short quiet time: anything that would arrive twice after the last message arrives now.
    await sleep(300);
    for (const transport of transports) {
      const result = results.get(transport) as TransportTorture;
      result.exact = (checkers.get(transport) as SequenceChecker).exactly(n);
    }
    return {
      seed: options.seed,
      cutsPerTransport: options.cuts,
      rate,
      maxGapMs,
      n,
      durationS: (performance.now() - started) / 1000,
      transports: transports.map((t) => results.get(t) as TransportTorture),
      passed: transports.every((t) => (results.get(t) as TransportTorture).exact),
    };
  } finally {
    ticker.update({ running: false });
    for (const client of clients.values()) client.stop();
    for (const proxy of proxies.values()) await proxy.close();
    await app.close();
  }
}
