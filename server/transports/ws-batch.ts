/**
 * The WebSocket fan-out, one tick at a time: the messages published during a tick are delivered
 * together when it ends, as ONE buffer per codec (their prebuilt frames, ws-frame.ts, back to
 * back) written once to every plain socket. On an idle feed a tick holds one message and the
 * buffer is that message's frame itself (no copy); a burst (a bursty ticker, a broker's read of
 * several entries) is one write per socket instead of one per message. The bytes on the wire are
 * the same frames in the same order; only how many writes carry them changes. No cork either:
 * the write is already whole, so the slow-consumer check may read the socket right after it.
 *
 * No gap, no duplicate when a socket joins mid-tick: the messages of this tick are already in
 * the feed when they are queued here, so a catch-up that ends in this tick (catch-up.ts, "same
 * turn") has sent them. A socket that joins while `n` messages wait skips those `n` at the flush.
 * A feed reset (a broker's new epoch, a hole) flushes what waits first, so the notice comes after
 * the messages before it, as the feed emitted them.
 */
import type { ResetNotice, WsSubprotocol } from '../../contract/index.js';
import type { Feed, FeedEntry } from '../feed/feed.js';
import { hotPath } from './fan-out.js';
import { framesOf } from './ws-frame.js';

/** A socket of the fan-out: WsConnection (ws-connection.ts). */
export interface BatchSubscriber {
  /** Messages of the pending batch this socket already has (set when it joins; 0 after a flush). */
  skip: number;
  /** The batch from `start` on (skipping what it already has). */
  deliver(batch: WsBatch, start: number): void;
  /** The feed jumped (behind a broker): tell the client. */
  reset(notice: ResetNotice): void;
}

/** One tick's messages, and their frames concatenated per codec, each built on first use. */
export class WsBatch {
  private readonly whole = new Map<WsSubprotocol, Buffer>();
  private readonly payload = new Map<WsSubprotocol, number>();

  constructor(readonly entries: readonly FeedEntry[]) {}

  /** The frames of `entries[start…]` back to back: the whole batch is built once per codec. */
  bytes(codec: WsSubprotocol, start = 0): Buffer {
    if (start === 0) {
      let bytes = this.whole.get(codec);
      if (bytes === undefined) {
        bytes = this.concat(codec, 0);
        this.whole.set(codec, bytes);
      }
      return bytes;
    }
    return this.concat(codec, start);
  }

  /** The payload bytes of `entries[start…]` under `codec` (what /api/stats counts as payload). */
  payloadBytes(codec: WsSubprotocol, entryBytes: (entry: FeedEntry) => number, start = 0): number {
    if (start === 0) {
      const known = this.payload.get(codec);
      if (known !== undefined) return known;
    }
    let sum = 0;
    for (let i = start; i < this.entries.length; i++) sum += entryBytes(this.entries[i] as FeedEntry);
    if (start === 0) this.payload.set(codec, sum);
    return sum;
  }

  private concat(codec: WsSubprotocol, start: number): Buffer {
    const { entries } = this;
    // One message (an idle feed's every tick): its frame as built, shared, not copied.
    if (entries.length - start === 1) return framesOf(entries[start] as FeedEntry).of(codec);
    const frames: Buffer[] = [];
    for (let i = start; i < entries.length; i++) frames.push(framesOf(entries[i] as FeedEntry).of(codec));
    hotPath.wsBatchesBuilt += 1;
    return Buffer.concat(frames);
  }
}

export class WsFanOut {
  private readonly subscribers = new Set<BatchSubscriber>();
  private pending: FeedEntry[] = [];
  private readonly flushBound = () => this.flush();

  constructor(feed: Feed) {
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
  add(subscriber: BatchSubscriber): void {
    subscriber.skip = this.pending.length;
    this.subscribers.add(subscriber);
  }

  remove(subscriber: BatchSubscriber): void {
    this.subscribers.delete(subscriber);
  }

  /** Hand this tick's messages to every socket (end of tick, or before a reset). */
  private flush(): void {
    const entries = this.pending;
    if (entries.length === 0) return;
    this.pending = [];
    const batch = new WsBatch(entries);
    for (const subscriber of this.subscribers) {
      const start = subscriber.skip;
      subscriber.skip = 0;
      if (start < entries.length) subscriber.deliver(batch, start);
    }
  }
}
