/**
 * The live fan-out of the streaming transports (WebSocket, SSE), one tick at a time: the messages
 * published during a tick are delivered together when it ends, as ONE buffer per wire kind (the
 * transport's prebuilt bytes for each message back to back: a WebSocket frame per codec,
 * ws-frame.ts; an SSE event bare or as an HTTP/1.1 chunk, sse-event.ts) written once to every
 * subscriber of that kind. On an idle feed a tick holds one message and the buffer is that
 * message's bytes themselves (no copy); a burst (a bursty ticker, a broker's read of several
 * entries) is one write per socket instead of one per message. The bytes on the wire are the same
 * in the same order; only how many writes carry them changes. No cork either: the write is already
 * whole, so the slow-consumer check may read the socket right after it.
 *
 * No gap, no duplicate when a subscriber joins mid-tick: the messages of this tick are already in
 * the feed when they are queued here, so a catch-up that ends in this tick (catch-up.ts, "same
 * turn") has sent them. A subscriber that joins while `n` messages wait skips those `n` at the
 * flush. A feed reset (a broker's new epoch, a hole) flushes what waits first, so the notice comes
 * after the messages before it, as the feed emitted them.
 */
import type { ResetNotice } from '../../contract/index.js';
import type { Feed, FeedEntry } from '../feed/feed.js';

/** How a transport puts one message on the wire, for each kind of subscriber it has. */
export interface TickWire<Kind> {
  /** The message's bytes for a subscriber of `kind`, built once per message and kind (the transport keeps them). */
  bytesOf(entry: FeedEntry, kind: Kind): Buffer;
  /** Several messages' bytes were concatenated into one buffer (counted in hotPath, fan-out.ts). */
  concatenated(): void;
}

/** A subscriber of the fan-out: WsConnection (ws-connection.ts), SseStream (sse-stream.ts). */
export interface TickSubscriber<Kind> {
  /** Messages of the pending batch this subscriber already has (set when it joins; 0 after a flush). */
  skip: number;
  /** The batch from `start` on (skipping what it already has). */
  deliver(batch: TickBatch<Kind>, start: number): void;
  /** The feed jumped (behind a broker): tell the client. */
  reset(notice: ResetNotice): void;
}

/** One tick's messages, and their bytes concatenated per wire kind, each built on first use. */
export class TickBatch<Kind> {
  private readonly whole = new Map<Kind, Buffer>();
  private readonly payload = new Map<Kind, number>();

  constructor(
    readonly entries: readonly FeedEntry[],
    private readonly wire: TickWire<Kind>,
  ) {}

  /** The bytes of `entries[start…]` back to back: the whole batch is built once per kind. */
  bytes(kind: Kind, start = 0): Buffer {
    if (start === 0) {
      let bytes = this.whole.get(kind);
      if (bytes === undefined) {
        bytes = this.concat(kind, 0);
        this.whole.set(kind, bytes);
      }
      return bytes;
    }
    return this.concat(kind, start);
  }

  /** The payload bytes of `entries[start…]` for `kind` (what /api/stats counts as payload). */
  payloadBytes(kind: Kind, entryBytes: (entry: FeedEntry) => number, start = 0): number {
    if (start === 0) {
      const known = this.payload.get(kind);
      if (known !== undefined) return known;
    }
    let sum = 0;
    for (let i = start; i < this.entries.length; i++) sum += entryBytes(this.entries[i] as FeedEntry);
    if (start === 0) this.payload.set(kind, sum);
    return sum;
  }

  private concat(kind: Kind, start: number): Buffer {
    const { entries, wire } = this;
    // One message (an idle feed's every tick): its bytes as built, shared, not copied.
    if (entries.length - start === 1) return wire.bytesOf(entries[start] as FeedEntry, kind);
    const parts: Buffer[] = [];
    for (let i = start; i < entries.length; i++) parts.push(wire.bytesOf(entries[i] as FeedEntry, kind));
    wire.concatenated();
    return Buffer.concat(parts);
  }
}

export class TickFanOut<Kind> {
  private readonly subscribers = new Set<TickSubscriber<Kind>>();
  private pending: FeedEntry[] = [];
  private readonly flushBound = () => this.flush();

  constructor(
    feed: Feed,
    private readonly wire: TickWire<Kind>,
  ) {
    feed.subscribe(
      (entry) => {
        if (this.subscribers.size === 0) return;
        this.pending.push(entry);
        if (this.pending.length === 1) process.nextTick(this.flushBound);
      },
      (notice) => {
        this.flush();
        for (const subscriber of this.subscribers) subscriber.reset(notice);
      },
    );
  }

  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Deliver every message published from now on, and every reset. Call it in the same turn as
   * the subscriber's catch-up read the feed's head: what this tick queued before is skipped.
   */
  add(subscriber: TickSubscriber<Kind>): void {
    subscriber.skip = this.pending.length;
    this.subscribers.add(subscriber);
  }

  remove(subscriber: TickSubscriber<Kind>): void {
    this.subscribers.delete(subscriber);
  }

  /** Hand this tick's messages to every subscriber (end of tick, or before a reset). */
  private flush(): void {
    const entries = this.pending;
    if (entries.length === 0) return;
    this.pending = [];
    const batch = new TickBatch(entries, this.wire);
    for (const subscriber of this.subscribers) {
      const start = subscriber.skip;
      subscriber.skip = 0;
      if (start < entries.length) subscriber.deliver(batch, start);
    }
  }
}
