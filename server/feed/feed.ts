/**
 * The one update feed: a sequence of messages within an epoch, a retention ring for resume,
 * and the resume table of docs/contract.md. Each message is serialized once, here; every
 * transport sends that same text.
 */
import { randomFillSync } from 'node:crypto';
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
/** Told when the feed jumps: a new epoch (the broker lost its stream) or messages it could not get. */
type ResetListener = (notice: ResetNotice) => void;

/** Wall-clock milliseconds with sub-millisecond precision, one clock domain for `ts` and `/api/time`. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Random bytes for epochs, drawn a block at a time: a broker backend offers a fresh candidate with
 * every publish (server/feed/redis-backend.ts), and one `randomBytes` call per publish was a
 * measurable share of its cost.
 */
const EPOCH_POOL = Buffer.alloc(6 * 256);
let epochPoolAt = EPOCH_POOL.length;

export function newEpoch(): string {
  if (epochPoolAt + 6 > EPOCH_POOL.length) {
    randomFillSync(EPOCH_POOL);
    epochPoolAt = 0;
  }
  const n = EPOCH_POOL.readUIntBE(epochPoolAt, 6);
  epochPoolAt += 6;
  // 8 base-36 characters: fits EPOCH_PATTERN, and two processes never share one in practice.
  return (n % 36 ** 8).toString(36).padStart(8, '0');
}

/** The message JSON, as it goes on every wire; `dataJson` is the data already serialized. */
export function messageText(epoch: string, seq: number, ts: number, dataJson: string): string {
  return `{"epoch":"${epoch}","seq":${seq},"ts":${ts},"data":${dataJson}}`;
}

/**
 * The feed as this process serves it. With the memory backend it is the whole feed; with a
 * broker (server/feed/redis-backend.ts) it is this instance's replica of the shared stream,
 * filled by `append` in seq order, so every read below stays local and synchronous.
 */
export class Feed {
  private currentEpoch: string;
  readonly retention: number;
  private ring: (FeedEntry | undefined)[];
  private headSeq = 0;
  /** The first seq this replica holds in its epoch (1 for a feed that started here). */
  private firstSeq = 1;
  private readonly listeners = new Set<Listener>();
  private readonly resetListeners = new Set<ResetListener>();
  /** Epochs this feed has left behind: a cursor naming one is plainly old. */
  readonly pastEpochs = new Set<string>();

  constructor(retention: number, epoch = newEpoch()) {
    this.currentEpoch = epoch;
    this.retention = retention;
    this.ring = new Array(retention);
  }

  get epoch(): string {
    return this.currentEpoch;
  }

  get head(): number {
    return this.headSeq;
  }

  /** The oldest retained seq; head + 1 while nothing was published. */
  get oldest(): number {
    return Math.max(this.firstSeq, this.headSeq - this.retention + 1);
  }

  /** The memory backend's publish: the next seq, stamped now. */
  publish(data: unknown): FeedEntry {
    const seq = this.headSeq + 1;
    const ts = nowMs();
    const text = messageText(this.currentEpoch, seq, ts, JSON.stringify(data ?? null));
    const entry: FeedEntry = { seq, ts, text, bytes: Buffer.byteLength(text) };
    this.ring[seq % this.retention] = entry;
    this.headSeq = seq;
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /**
   * A broker's message, in the current epoch. Already held: ignored. Past a hole (the broker
   * trimmed what this replica had not read yet): listeners get an `evicted` reset first, so the
   * hole is never silent.
   */
  append(seq: number, ts: number, dataJson: string): FeedEntry | null {
    if (seq <= this.headSeq) return null;
    if (seq > this.headSeq + 1) {
      const missed = seq - this.headSeq - 1;
      this.ring = new Array(this.retention);
      this.firstSeq = seq;
      this.emitReset({ reason: 'evicted', epoch: this.currentEpoch, missed, from: seq });
    }
    const text = messageText(this.currentEpoch, seq, ts, dataJson);
    const entry: FeedEntry = { seq, ts, text, bytes: Buffer.byteLength(text) };
    this.ring[seq % this.retention] = entry;
    this.headSeq = seq;
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /**
   * The broker's stream now belongs to another epoch (it was flushed, or failed over to an empty
   * replica): drop everything and tell every listener with an `epoch` reset.
   */
  adoptEpoch(epoch: string, head = 0): void {
    if (epoch === this.currentEpoch) return;
    this.pastEpochs.add(this.currentEpoch);
    this.currentEpoch = epoch;
    this.ring = new Array(this.retention);
    this.headSeq = head;
    this.firstSeq = head + 1;
    this.emitReset({ reason: 'epoch', epoch, from: head + 1 });
  }

  subscribe(listener: Listener, onReset?: ResetListener): () => void {
    this.listeners.add(listener);
    if (onReset) this.resetListeners.add(onReset);
    return () => {
      this.listeners.delete(listener);
      if (onReset) this.resetListeners.delete(onReset);
    };
  }

  private emitReset(notice: ResetNotice): void {
    for (const listener of this.resetListeners) listener(notice);
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
    if (cursor.epoch !== null && cursor.epoch !== this.currentEpoch) {
      since = oldest - 1;
      reset = { reason: 'epoch', epoch: this.currentEpoch, from: oldest };
    } else if (since > this.headSeq) {
      return { kind: 'future', head: this.headSeq };
    } else if (since < oldest - 1) {
      reset = { reason: 'evicted', epoch: this.currentEpoch, missed: oldest - 1 - since, from: oldest };
      since = oldest - 1;
    }
    const entries = this.after(since, limit);
    const last = entries.at(-1)?.seq ?? since;
    return { kind: 'ok', reset, entries, more: last < this.headSeq };
  }
}
