/**
 * Bytes on the wire, counted at the TCP socket, so request lines, headers, chunked framing, SSE
 * fields, heartbeats, WebSocket frame headers, masks, pings, closes and the upgrade handshake are
 * all in.
 *
 * In: `socket.bytesRead` (what the kernel handed us). Out: the bytes the kernel accepted from us —
 * not `socket.bytesWritten`, which also counts what is still queued in the process. Queued bytes
 * are not on the wire yet, and may never be: a consumer that is cut, or that resets the connection,
 * takes the queue with it. (Node even shrinks `bytesWritten` when a reset discards the queue, which
 * would make the counters go backwards.) So the server's count is what a TCP proxy in front of it
 * can see, and it only ever grows.
 *
 * A keep-alive socket carries many requests, perhaps of different transports and clients (a
 * browser reuses one for everything), so bytes are attributed per request: what is read belongs to
 * the request last begun on the socket; what is written belongs to the response that owns the socket
 * (Node writes one response at a time, in order, even when requests are pipelined). Unsettled bytes
 * are settled whenever either changes, at the end of each response Fastify answers (the fast lane
 * leaves it to the next of these, server/fast-lane.ts), and whenever stats are read.
 * (With pipelining, two requests that arrive in one TCP read cannot be told apart: their bytes go
 * to the first. No browser pipelines.)
 */
import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { WireAccounting } from '../../contract/index.js';
import type { Attribution, Ledger } from './ledger.js';

interface Metered {
  socket: Socket;
  /** The TCP socket whose bytes are counted: `socket` itself, or the one under a TLS socket. */
  wire: Socket;
  /** The request last begun on this socket: incoming bytes are its. */
  who: Attribution;
  /** The request whose response owns the socket: outgoing bytes are its. */
  writer: Attribution;
  readMark: number;
  writeMark: number;
  /** Bytes the kernel had accepted when the socket was destroyed (what is queued then never leaves). */
  finalSent: number | null;
}

/** Node internals the meter reads, when present (they are on every net.Socket since Node 0.x). */
interface SocketInternals {
  _bytesDispatched?: number;
  _handle?: { writeQueueSize?: number } | null;
  _destroy?: (error: Error | null, callback: (error?: Error | null) => void) => void;
}

const UNATTRIBUTED: Attribution = { bucket: 'other', client: null, held: null };

/**
 * Whether this Node has the internals the exact count needs. Probed once on a fresh socket: a
 * connected one has `_handle` too, which `sentBytes` checks as it goes.
 */
export function nodeHasSocketInternals(): boolean {
  const probe = new Socket() as unknown as SocketInternals;
  return typeof probe._bytesDispatched === 'number' && typeof probe._destroy === 'function';
}

/**
 * Bytes the kernel has accepted from this socket: dispatched to libuv minus what libuv still holds.
 * Approximate (without those internals): everything handed to the socket minus what waits in the
 * stream's buffer (a slight undercount while a write is in flight, exact once the socket is idle).
 */
export function sentBytes(socket: Socket, exact = true): number {
  const internals = socket as unknown as SocketInternals;
  if (exact && typeof internals._bytesDispatched === 'number') {
    const queued = internals._handle?.writeQueueSize;
    return internals._bytesDispatched - (typeof queued === 'number' ? queued : 0);
  }
  return (socket.bytesWritten ?? 0) - socket.writableLength;
}

/** net.Socket's own `_destroy`, which a metered socket's `_destroy` calls after its last reading. */
const socketDestroy = (Socket.prototype as unknown as SocketInternals)._destroy;

/** What one metered socket costs the meter's heap, for test/accounting/wire-meter-memory.test.ts to count. */
export interface MeterFootprint {
  /** Sockets whose `_destroy` is the meter's one shared function (no closure per socket). */
  sharedDestroy: number;
  /** Sockets with a wrapper closure of their own (a socket whose `_destroy` was already its own). */
  ownDestroy: number;
  /** Sockets the meter listens to for `close` (only where `_destroy` cannot settle them). */
  closeListeners: number;
}

export class WireMeter {
  private readonly sockets = new Map<Socket, Metered>();
  /**
   * A plain TCP socket's `_destroy`, the same function for every socket (`this` is the socket): a
   * lab holds thousands of idle sockets, and a wrapper closure per socket cost ~300 B of heap each
   * (closure, context, and the `once('close')` wrapper beside it).
   */
  private readonly destroyShared: SocketInternals['_destroy'];
  /** `close` of a socket `_destroy` does not settle (TLS over TCP, or no internals), the same for every socket. */
  private readonly closeShared: (this: Socket) => void;
  readonly footprint: MeterFootprint = { sharedDestroy: 0, ownDestroy: 0, closeListeners: 0 };
  /**
   * `exact` when Node's socket internals are there (docs/accounting.md, "Exact or approximate");
   * `approximate` without them, or when forced (to check the fallback on a Node that has them).
   */
  readonly mode: WireAccounting;

  constructor(
    private readonly ledger: Ledger,
    options: { forceApproximate?: boolean } = {},
  ) {
    this.mode = !options.forceApproximate && nodeHasSocketInternals() ? 'exact' : 'approximate';
    const meter = this;
    this.destroyShared = function (this: Socket, error, callback) {
      meter.destroyed(this);
      return (socketDestroy as NonNullable<SocketInternals['_destroy']>).call(this, error, callback);
    };
    this.closeShared = function (this: Socket) {
      meter.closed(this);
    };
  }

  /**
   * On destroy, libuv drops whatever it still holds: note what the kernel had by then, the moment
   * before. (Every destroy path — ours, ws's terminate, a reset from the peer — goes through
   * _destroy, and Node emits `close` only after it.) Nothing is read or written after this, so a
   * plain socket is settled and forgotten here, with no `close` listener of ours.
   */
  private destroyed(wire: Socket): void {
    const metered = this.sockets.get(wire);
    if (metered === undefined) return;
    if (metered.finalSent === null) metered.finalSent = sentBytes(wire, true);
    if (metered.socket === wire) this.closed(wire);
  }

  private closed(socket: Socket): void {
    const metered = this.sockets.get(socket);
    if (metered === undefined) return;
    this.settle(metered);
    this.sockets.delete(socket);
  }

  /**
   * Start metering a socket as soon as it is accepted. For HTTP/1.1 over TLS, `socket` is the TLS
   * socket requests see and `wire` the TCP socket under it: the bytes counted are ciphertext, and
   * what the handshake cost (everything before this call) is settled at once into `other`.
   */
  track(socket: Socket, wire: Socket = socket): void {
    if (this.sockets.has(socket)) return;
    const metered: Metered = {
      socket,
      wire,
      who: UNATTRIBUTED,
      writer: UNATTRIBUTED,
      readMark: 0,
      writeMark: 0,
      finalSent: null,
    };
    this.sockets.set(socket, metered);
    const internals = wire as unknown as SocketInternals;
    const destroy = internals._destroy;
    let settledOnDestroy = false;
    if (this.mode === 'exact' && typeof destroy === 'function') {
      if (wire === socket && destroy === socketDestroy && !Object.hasOwn(wire, '_destroy')) {
        // The plain case (HTTP/1.1 over TCP): one shared function finds the record by the socket.
        internals._destroy = this.destroyShared;
        this.footprint.sharedDestroy += 1;
        settledOnDestroy = true;
      } else {
        // TLS over TCP (the record is the TLS socket's), or someone else's `_destroy` is there
        // already: a wrapper of its own, as before.
        internals._destroy = function (this: Socket, error, callback) {
          if (metered.finalSent === null) metered.finalSent = sentBytes(this, true);
          return destroy.call(this, error, callback);
        };
        this.footprint.ownDestroy += 1;
      }
    }
    if (!settledOnDestroy) {
      socket.on('close', this.closeShared);
      this.footprint.closeListeners += 1;
    }
    if (wire !== socket) this.settle(metered);
  }

  /**
   * A new request begins on this socket. What was read since the last settlement (this request's
   * own line and headers) is this request's; what its response writes is its too, from the moment
   * the response owns the socket (at once, unless it waits behind a pipelined response).
   */
  begin(socket: Socket, who: Attribution, response?: ServerResponse): void {
    const metered = this.sockets.get(socket);
    if (!metered) return;
    this.settleWrites(metered);
    metered.who = who;
    this.settleReads(metered);
    if (response === undefined || response.socket === socket) {
      metered.writer = who;
    } else {
      // Node emits 'socket' when the previous response is done, just before flushing this one.
      response.once('socket', () => {
        this.settleWrites(metered);
        metered.writer = who;
      });
    }
  }

  /** Move a socket's unsettled bytes to whoever it serves (at response end, and on stats reads). */
  settleSocket(socket: Socket): void {
    const metered = this.sockets.get(socket);
    if (metered) this.settle(metered);
  }

  /** Settle every open socket, so counters read next are live to the byte. */
  settleAll(): void {
    for (const metered of this.sockets.values()) this.settle(metered);
  }

  /** Drop, abruptly, every socket now serving someone matching `match` (the lab's "cut"). */
  destroyWhere(match: (who: Attribution) => boolean): number {
    let destroyed = 0;
    for (const metered of this.sockets.values()) {
      if (!match(metered.who)) continue;
      metered.socket.destroy();
      destroyed += 1;
    }
    return destroyed;
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  private settle(metered: Metered): void {
    this.settleReads(metered);
    this.settleWrites(metered);
  }

  private settleReads(metered: Metered): void {
    const read = metered.wire.bytesRead ?? metered.readMark;
    // Counters only grow: a reading below the mark is ignored, never subtracted.
    if (read > metered.readMark) {
      this.ledger.add(metered.who, 'bytesIn', read - metered.readMark);
      metered.readMark = read;
    }
  }

  private settleWrites(metered: Metered): void {
    const sent = metered.finalSent ?? sentBytes(metered.wire, this.mode === 'exact');
    if (sent > metered.writeMark) {
      this.ledger.add(metered.writer, 'bytesOut', sent - metered.writeMark);
      metered.writeMark = sent;
    }
  }
}
