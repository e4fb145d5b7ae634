/**
 * The one update feed: a sequence of messages within an epoch, a retention ring for resume,
 * and the resume table of docs/contract.md. Each message is serialized once, here; every
 * transport sends that same text.
 */
import { randomBytes } from 'node:crypto';
import type { Cursor, ResetNotice } from '../../contract/index.js';

export interface FeedEntry {
  seq: number;
  ts: number;
  /** The message JSON, exactly as it goes on every wire. */
  text: string;
  /** UTF-8 length of `text`. */
  bytes: number;
}

/** What a cursor resolves to: the messages to send first, and a reset notice if it was not honoured. */
export type Resolution =
  | { kind: 'ok'; reset: ResetNotice | null; entries: FeedEntry[]; more: boolean }
  | { kind: 'future'; head: number };

type Listener = (entry: FeedEntry) => void;

/** Wall-clock milliseconds with sub-millisecond precision, one clock domain for `ts` and `/api/time`. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function newEpoch(): string {
  // 8 base-36 characters: fits EPOCH_PATTERN, and two processes never share one in practice.
  return BigInt(`0x${randomBytes(6).toString('hex')}`)
    .toString(36)
    .padStart(8, '0')
    .slice(-8);
}

export class Feed {
  readonly epoch: string;
  readonly retention: number;
  private readonly ring: (FeedEntry | undefined)[];
  private headSeq = 0;
  private readonly listeners = new Set<Listener>();

  constructor(retention: number, epoch = newEpoch()) {
    this.epoch = epoch;
    this.retention = retention;
    this.ring = new Array(retention);
  }

  get head(): number {
    return this.headSeq;
  }

  /** The oldest retained seq; head + 1 while nothing was published. */
  get oldest(): number {
    return Math.max(1, this.headSeq - this.retention + 1);
  }

  publish(data: unknown): FeedEntry {
    const seq = this.headSeq + 1;
    const ts = nowMs();
    const text = `{"epoch":"${this.epoch}","seq":${seq},"ts":${ts},"data":${JSON.stringify(data ?? null)}}`;
    const entry: FeedEntry = { seq, ts, text, bytes: Buffer.byteLength(text) };
    this.ring[seq % this.retention] = entry;
    this.headSeq = seq;
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Retained entries with seq > since, in order, at most `limit`. */
  after(since: number, limit = Number.POSITIVE_INFINITY): FeedEntry[] {
    const out: FeedEntry[] = [];
    for (let seq = Math.max(since + 1, this.oldest); seq <= this.headSeq && out.length < limit; seq++) {
      out.push(this.ring[seq % this.retention] as FeedEntry);
    }
    return out;
  }

  /**
   * Apply the resume table. `null` cursor = live only: nothing from history.
   * A gap is never silent: every case that skips messages carries a reset notice.
   */
  resolve(cursor: Cursor<string | null> | null, limit = Number.POSITIVE_INFINITY): Resolution {
    if (cursor === null) return { kind: 'ok', reset: null, entries: [], more: false };
    const oldest = this.oldest;
    let since = cursor.seq;
    let reset: ResetNotice | null = null;
    if (cursor.epoch !== null && cursor.epoch !== this.epoch) {
      since = oldest - 1;
      reset = { reason: 'epoch', epoch: this.epoch, from: oldest };
    } else if (since > this.headSeq) {
      return { kind: 'future', head: this.headSeq };
    } else if (since < oldest - 1) {
      reset = { reason: 'evicted', epoch: this.epoch, missed: oldest - 1 - since, from: oldest };
      since = oldest - 1;
    }
    const entries = this.after(since, limit);
    const last = entries.at(-1)?.seq ?? since;
    return { kind: 'ok', reset, entries, more: last < this.headSeq };
  }
}
