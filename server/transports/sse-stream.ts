/**
 * One `/api/sse` stream once its hello is written (sse.ts has the route and says what the client
 * sees): its catch-up, its live events, its heartbeat, its close.
 *
 * A lab holds thousands of idle streams, so a stream is ONE object whose methods are shared, not
 * a handful of closures per stream: the `close` listener is a module function that finds the
 * stream on its response, the heartbeat is one timer for all (heartbeat.ts), the fan-out a set of
 * these objects (tick-batch.ts), the same shape as a WebSocket (ws-connection.ts).
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ResetNotice } from '../../contract/index.js';
import type { Attribution, OpenStream } from '../accounting/accounting.js';
import type { FeedEntry, Resolution } from '../feed/feed.js';
import type { Lab } from '../lab.js';
import type { cursorOf } from '../query.js';
import { type CatchUpStream, catchUp, catchUpHighWater } from './catch-up.js';
import { hotPath } from './fan-out.js';
import { isGone } from './gone.js';
import type { Heartbeat } from './heartbeat.js';
import { chunkedSocketOf, type SseKind, sseEventBytes, sseReset } from './sse-event.js';
import type { TickBatch, TickFanOut, TickSubscriber } from './tick-batch.js';

/** What every stream of one lab shares. */
export interface SseShared {
  lab: Lab;
  fanOut: TickFanOut<SseKind>;
  heartbeat: Heartbeat<SseStream>;
}

/** A comment line: EventSource ignores it; proxies see bytes and keep an idle stream open. */
const HEARTBEAT = ': heartbeat\n\n';
/** What /api/stats counts as an SSE message's payload: its JSON. */
const jsonBytes = (entry: FeedEntry): number => entry.bytes;

const STREAM = Symbol('lab sse stream');
type Tagged = ServerResponse & { [STREAM]?: SseStream };
// The response's `close` listener: one function for every stream (`this` is the response).
function onClose(this: ServerResponse): void {
  (this as Tagged)[STREAM]?.closed();
}

/** The heartbeat's beat (heartbeat.ts): every `sseHeartbeatMs`, a comment on every stream. */
export function beatSse(stream: SseStream): void {
  stream.beat();
}

export class SseStream implements OpenStream, TickSubscriber<SseKind>, CatchUpStream {
  skip = 0;
  private ended = false;
  /** The socket live chunks go straight to (chunked HTTP/1.1); null: they go through `res.write`. */
  private readonly socket: Socket | null;
  private readonly kind: SseKind;

  /** Call it once the hello is written: the head and the hello are then on the socket, nothing waits in front. */
  constructor(
    private readonly res: ServerResponse,
    readonly who: Attribution,
    private readonly shared: SseShared,
  ) {
    this.socket = chunkedSocketOf(res);
    this.kind = this.socket === null ? 'event' : 'chunk';
    (res as Tagged)[STREAM] = this;
  }

  /** Where the stream starts: a reset when the cursor cannot be honoured exactly, the catch-up, then live. */
  start(resolution: Resolution, cursor: ReturnType<typeof cursorOf>): void {
    const { feed, options, accounting } = this.shared.lab;
    if (resolution.kind === 'future') {
      this.reset({ reason: 'future', epoch: feed.epoch, from: feed.head + 1 });
      this.live();
    } else {
      if (resolution.reset) this.reset(resolution.reset);
      // The backlog, paced by the socket and not held to the live bound (catch-up.ts).
      const from = resolution.reset ? resolution.reset.from - 1 : cursor ? cursor.seq : feed.head;
      catchUp(feed, from, this, {
        highWaterBytes: catchUpHighWater(options.slowConsumerBytes),
        stallMs: options.catchUpStallMs,
      });
    }
    this.shared.heartbeat.add(this);
    accounting.holdStream(this);
    // `on`, not `once`: `once` wraps the listener in a bound function and a state object (~130 B per idle
    // stream, kept as long as it is open); the response emits `close` once, and `closed` counts once anyway.
    this.res.on('close', onClose);
    if (isGone(this.res)) this.closed();
  }

  // --- the catch-up (catch-up.ts): a resuming client's backlog, paced by the socket ---

  write(entry: FeedEntry, written: () => void): void {
    this.res.write(sseEventBytes(entry, this.shared.lab.feed), () => written());
    this.shared.lab.accounting.deliveredOne(this.who, entry);
  }

  queuedBytes(): number {
    return this.res.writableLength;
  }

  gone(): boolean {
    return this.ended || isGone(this.res);
  }

  /** Subscribed in the same turn as the catch-up's last read: no publish can fall between the two. */
  live(): void {
    this.shared.fanOut.add(this);
  }

  /** A frozen peer: cut; its EventSource resumes with Last-Event-ID like after any cut. */
  stalled(): void {
    this.res.destroy();
  }

  /** The client's cursor could not be honoured exactly, or the feed jumped (behind a broker): say so. */
  reset(notice: ResetNotice): void {
    this.shared.lab.accounting.reset(this.who);
    this.send(sseReset(notice));
  }

  // --- live events (tick-batch.ts): one tick's events at a time, one write ---

  deliver(batch: TickBatch<SseKind>, start: number): void {
    const { res, socket } = this;
    // Ended for a shutdown: nothing may follow the last chunk.
    if (this.ended || res.writableEnded) return;
    if (socket === null) res.write(batch.bytes('event', start));
    else if (!socket.destroyed) {
      hotPath.sseLiveWrites += 1;
      socket.write(batch.bytes('chunk', start));
    }
    const entries = start === 0 ? batch.entries : batch.entries.slice(start);
    this.shared.lab.accounting.delivered(this.who, entries, batch.payloadBytes(this.kind, jsonBytes, start));
    // The write is whole and uncorked: what the kernel did not take is in writableLength now.
    this.checkSlow();
  }

  beat(): void {
    this.send(HEARTBEAT);
  }

  // --- closing ---

  private send(text: string): void {
    if (this.res.writableEnded) return;
    this.res.write(text);
    this.checkSlow();
  }

  /**
   * A live consumer that does not read is cut before its buffer grows without bound; its
   * EventSource reconnects with Last-Event-ID and resumes (paced, catch-up.ts).
   */
  private checkSlow(): void {
    if (this.res.writableLength > this.shared.lab.options.slowConsumerBytes) this.res.destroy();
  }

  /** A shutdown (OpenStream): the stream ends; EventSource comes back with Last-Event-ID. */
  close(): void {
    this.res.end();
  }

  /** The response closed (the client left, a cut, the end): counted once, however often called. */
  closed(): void {
    this.ended = true;
    this.shared.fanOut.remove(this);
    this.shared.heartbeat.delete(this);
    this.shared.lab.accounting.closeStream(this);
  }
}
