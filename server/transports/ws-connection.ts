/**
 * One `/api/ws` connection (websocket.ts has the route and says what the client sees): its
 * catch-up, its live messages, the frames it sends us, its heartbeat flag, its close.
 *
 * A lab holds thousands of idle sockets, so a connection is ONE object whose methods are shared,
 * not a dozen closures per socket: the listeners below are module functions that find the
 * connection on the socket, the heartbeat is one timer for all (ws-heartbeat.ts), the fragment
 * guard one shared function that keeps its count here (ws-guard.ts), the fan-out a set of these
 * objects (tick-batch.ts). An idle connection holds no number V8 must box either: the frame budget
 * is made at the first frame the client sends.
 */
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import {
  CLOSE_CODES,
  ERROR_CODES,
  type ResetNotice,
  type WsServerControl,
  type WsSubprotocol,
} from '../../contract/index.js';
import type { Attribution, OpenStream } from '../accounting/accounting.js';
import type { FeedEntry, Resolution } from '../feed/feed.js';
import { resolveCursor } from '../feed/resolve.js';
import type { Lab } from '../lab.js';
import { parseClient, parseCursor, type RawQuery } from '../query.js';
import { type CatchUpStream, catchUp, catchUpHighWater } from './catch-up.js';
import { hotPath } from './fan-out.js';
import { SLOW_CONSUMER_REASON } from './socket-io-backlog.js';
import type { TickBatch, TickFanOut, TickSubscriber } from './tick-batch.js';
import { codecFor, type WsCodec } from './ws-codec.js';
import { framesOf, rawSocketFor } from './ws-frame.js';
import { type FragmentGuarded, type FragmentLimits, guardFragments, stopFragmentTimer } from './ws-guard.js';
import type { Beating, WsHeartbeat } from './ws-heartbeat.js';
import type { LabWebSocket, WsEvents } from './ws-socket.js';

/** A close frame waits behind queued data; a peer that never reads it is dropped after this. */
const CLOSE_GRACE_MS = 5_000;

/** What every connection of one lab shares. */
export interface WsShared {
  lab: Lab;
  fanOut: TickFanOut<WsSubprotocol>;
  heartbeat: WsHeartbeat;
  fragmentLimits: FragmentLimits;
  /** Behind a broker, the instance's name (in `hello`); undefined for a lone lab. */
  instance: string | undefined;
  log: FastifyBaseLogger;
  /** The tick being delivered, worked out once for all sockets of one codec. */
  tick: TickBytes;
}

/**
 * A tick's bytes and payload size for one codec, looked up once per tick rather than once per
 * socket (two Map lookups in TickBatch per socket otherwise): every plain socket of that codec is
 * handed the same batch from 0 in one fan-out.
 */
export class TickBytes {
  batch: TickBatch<WsSubprotocol> | null = null;
  codec: WsSubprotocol | null = null;
  bytes: Buffer = Buffer.alloc(0);
  payloadBytes = 0;

  of(batch: TickBatch<WsSubprotocol>, codec: WsCodec): this {
    if (this.batch !== batch || this.codec !== codec.name) {
      this.batch = batch;
      this.codec = codec.name;
      this.bytes = batch.bytes(codec.name);
      this.payloadBytes = batch.payloadBytes(codec.name, codec.entryBytes);
    }
    return this;
  }
}

/** Token bucket for incoming frames, made at a connection's first frame. */
interface FrameBudget {
  tokens: number;
  /** performance.now() of the last refill. */
  at: number;
}

function terminate(socket: WebSocket): void {
  socket.terminate();
}

export class WsConnection
  implements OpenStream, TickSubscriber<WsSubprotocol>, CatchUpStream, Beating, FragmentGuarded, WsEvents
{
  alive = true;
  skip = 0;
  private closing = false;
  /** The fragment guard's count and timer (ws-guard.ts). */
  fragments = 0;
  fragmentTimer: NodeJS.Timeout | null = null;
  private readonly codec: WsCodec;
  /** The TCP socket prebuilt frames go to; null with an extension (permessage-deflate): ws frames those. */
  private readonly raw: Socket | null;
  /** Token bucket for incoming frames (`wsFramesPerSecond`, bursts up to two seconds' worth); null until the first. */
  private budget: FrameBudget | null = null;

  constructor(
    readonly socket: LabWebSocket,
    readonly who: Attribution,
    private readonly shared: WsShared,
  ) {
    this.codec = codecFor(socket.protocol);
    this.raw = rawSocketFor(socket);
    // Before anything else: the socket hands us its events from now on (ws-socket.ts), and frames
    // that arrived first would be lost otherwise.
    socket.connection = this;
    guardFragments(socket, this);
    shared.heartbeat.add();
    shared.lab.accounting.holdStream(this);
  }

  /**
   * Replaces @fastify/websocket's error listener, a closure that holds the upgrade's Fastify
   * request and reply for as long as the socket lives; same behaviour: log, terminate.
   */
  takeErrors(): void {
    // The socket hands its errors to us already (ws-socket.ts); theirs would only keep the upgrade alive.
    this.socket.removeAllListeners('error');
  }

  /** Reads the cursor of the upgrade's query, then hello, catch-up and live. */
  start(query: RawQuery): void {
    let cursor: ReturnType<typeof parseCursor>;
    try {
      parseClient(query);
      cursor = parseCursor(query);
    } catch (error) {
      this.refuse(ERROR_CODES.badCursor, (error as Error).message);
      return;
    }
    const resolved = resolveCursor(this.shared.lab, cursor);
    if (resolved instanceof Promise) resolved.then((resolution) => this.begin(resolution, cursor));
    else this.begin(resolved, cursor);
  }

  private begin(resolution: Resolution, cursor: ReturnType<typeof parseCursor>): void {
    if (this.gone()) return;
    const { feed, options } = this.shared.lab;
    const { instance } = this.shared;
    const hello: WsServerControl = {
      type: 'hello',
      epoch: feed.epoch,
      head: feed.head,
      oldest: feed.oldest,
      client: this.who.client,
    };
    this.control(instance === undefined ? hello : { ...hello, instance });
    if (resolution.kind === 'future') {
      this.refuse(ERROR_CODES.futureCursor, `cursor ${cursor?.seq} is ahead of head ${resolution.head}`);
      return;
    }
    if (resolution.reset) this.reset(resolution.reset);
    catchUp(feed, resolution.reset ? resolution.reset.from - 1 : cursor ? cursor.seq : feed.head, this, {
      highWaterBytes: catchUpHighWater(options.slowConsumerBytes),
      stallMs: options.catchUpStallMs,
    });
  }

  // --- the catch-up (catch-up.ts): a resuming client's backlog, paced by the socket ---

  write(entry: FeedEntry, written: () => void): void {
    if (this.raw === null) this.socket.send(this.codec.entry(entry).payload, () => written());
    else this.raw.write(framesOf(entry).of(this.codec.name), () => written());
    this.shared.lab.accounting.deliveredOne(this.who, entry, this.codec.entryBytes(entry));
  }

  queuedBytes(): number {
    return this.socket.bufferedAmount;
  }

  gone(): boolean {
    return this.closing || this.socket.readyState !== this.socket.OPEN;
  }

  /** Subscribed in the same turn as the catch-up's last read: no publish can fall between the two. */
  live(): void {
    this.shared.fanOut.add(this);
  }

  stalled(): void {
    this.end(CLOSE_CODES.slowConsumer, SLOW_CONSUMER_REASON);
  }

  /** The client's cursor could not be honoured exactly, or the feed jumped: say so first. */
  reset(notice: ResetNotice): void {
    this.shared.lab.accounting.reset(this.who);
    this.control({ type: 'reset', ...notice });
  }

  // --- live messages (tick-batch.ts): one tick's messages at a time ---

  deliver(batch: TickBatch<WsSubprotocol>, start: number): void {
    if (this.closing) return;
    const { codec, raw, socket } = this;
    let payloadBytes: number;
    if (raw !== null && start === 0) {
      // The common case: the whole tick, the same bytes for every plain socket of this codec.
      const tick = this.shared.tick.of(batch, codec);
      if (socket.readyState === socket.OPEN) {
        hotPath.wsLiveWrites += 1;
        raw.write(tick.bytes);
      }
      payloadBytes = tick.payloadBytes;
    } else {
      if (raw === null) {
        // permessage-deflate: ws frames and compresses each message for this socket alone.
        for (let i = start; i < batch.entries.length; i++)
          socket.send(codec.entry(batch.entries[i] as FeedEntry).payload);
      } else if (socket.readyState === socket.OPEN) {
        hotPath.wsLiveWrites += 1;
        raw.write(batch.bytes(codec.name, start));
      }
      payloadBytes = batch.payloadBytes(codec.name, codec.entryBytes, start);
    }
    const entries = start === 0 ? batch.entries : batch.entries.slice(start);
    this.shared.lab.accounting.delivered(this.who, entries, payloadBytes);
    // The write is whole and uncorked: what the kernel did not take is in bufferedAmount now.
    if (socket.bufferedAmount > this.shared.lab.options.slowConsumerBytes)
      this.end(CLOSE_CODES.slowConsumer, SLOW_CONSUMER_REASON);
  }

  // --- what the client sends ---

  receive(data: Buffer, isBinary: boolean): void {
    if (this.closing) return;
    const { lab } = this.shared;
    const rate = lab.options.wsFramesPerSecond;
    if (!this.allowFrame(rate)) {
      this.end(CLOSE_CODES.rate, `more than ${rate} frames/s`);
      return;
    }
    let frame: unknown;
    try {
      frame = this.codec.decode(data, isBinary);
    } catch (error) {
      this.control({ type: 'error', code: ERROR_CODES.badFrame, message: (error as Error).message });
      return;
    }
    const type = (frame as { type?: unknown } | null)?.type;
    if (type === 'echo') {
      this.control(frame as WsServerControl);
      return;
    }
    if (type === 'publish' && typeof frame === 'object' && frame !== null && 'data' in frame) {
      // A WebSocket cannot carry the instructor's Authorization header: in a classroom, publishing
      // is POST /api/publish with the instructor's token (server/classroom/guard.ts).
      if (lab.classroom !== null) {
        this.control({
          type: 'error',
          code: ERROR_CODES.instructorOnly,
          message: 'in a classroom only the instructor publishes (POST /api/publish with the instructor token)',
        });
        return;
      }
      const published = lab.backend.publish(frame.data);
      // Behind a broker a publish can fail (Redis away): the client hears it, the socket stays.
      if (published instanceof Promise) {
        published.catch((error: Error & { code?: string }) =>
          this.control({ type: 'error', code: error.code ?? ERROR_CODES.feedUnavailable, message: error.message }),
        );
      }
      return;
    }
    this.control({
      type: 'error',
      code: ERROR_CODES.unknownType,
      message: `unknown frame type ${JSON.stringify(type)}: send {"type":"publish","data":…} or {"type":"echo",…}`,
    });
  }

  private allowFrame(rate: number): boolean {
    const now = performance.now();
    // A new budget is full: two seconds' worth.
    this.budget ??= { tokens: rate * 2, at: now };
    const { budget } = this;
    budget.tokens = Math.min(rate * 2, budget.tokens + ((now - budget.at) / 1000) * rate);
    budget.at = now;
    if (budget.tokens < 1) return false;
    budget.tokens -= 1;
    return true;
  }

  // --- closing ---

  private control(frame: WsServerControl): void {
    this.socket.send(this.codec.control(frame));
  }

  /** Close with `code`; a peer that never reads the close frame is dropped after CLOSE_GRACE_MS. */
  end(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.close(code, reason);
    setTimeout(terminate, CLOSE_GRACE_MS, this.socket).unref();
  }

  get fragmentLimits(): FragmentLimits {
    return this.shared.fragmentLimits;
  }

  /** The fragment guard's verdict (ws-guard.ts). */
  violation(code: number, reason: string): void {
    this.end(code, reason);
  }

  /** A shutdown (OpenStream): 1012, the client comes back with its cursor. */
  close(): void {
    this.end(CLOSE_CODES.serverRestart, 'server restart');
  }

  /**
   * A refused request: the stable code in an error frame a script can read, then 4400 with
   * "<code>: <message>" as the reason (cut to the 123 bytes a close frame allows).
   */
  private refuse(code: string, message: string): void {
    this.control({ type: 'error', code, message });
    this.end(CLOSE_CODES.badRequest, Buffer.from(`${code}: ${message}`).subarray(0, 123).toString());
  }

  failed(error: Error): void {
    this.shared.log.error({ err: error }, 'websocket error');
    this.socket.terminate();
  }

  closed(): void {
    this.shared.heartbeat.delete();
    stopFragmentTimer(this);
    this.shared.fanOut.remove(this);
    this.shared.lab.accounting.closeStream(this);
  }
}
