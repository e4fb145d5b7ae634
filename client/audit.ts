/**
 * The delivery audit: fed every message's `(epoch, seq)` and every reset notice a client sees,
 * it tells "I have everything" from "I missed some" (docs/contract.md, the resume table). It judges the wire, not
 * the client: a message the server sends twice is counted as a duplicate here, never filtered.
 *
 * Per epoch there is one sequence space, `1, 2, 3 …` with no holes on the server side:
 * - delivered  — distinct seqs received.
 * - duplicates — a seq received again.
 * - reordered  — a seq lower than the highest seen, not seen before.
 * - lost       — holes: when seq jumps past highest + 1 the gap counts as lost; a hole later
 *                filled by a reordered message is un-lost. Plus the `missed` of a reset
 *                (the server's own count of messages evicted before the client asked).
 * - resets     — reset notices received.
 *
 * The first message of an epoch the audit has no notice for (a live-only start) opens that
 * epoch's space: nothing before it is expected. A reset notice opens (or re-opens) the space of
 * `notice.epoch` at `notice.from`: the next message expected is `from`.
 *
 * Seen seqs are kept as sorted disjoint ranges, so a client that receives millions of messages
 * in order costs one range, not millions of set entries.
 */
import type { ResetNotice } from '../contract/index.js';

export interface AuditSnapshot {
  delivered: number;
  duplicates: number;
  reordered: number;
  lost: number;
  resets: number;
  /** The epoch of the last message or reset, `null` before any. */
  epoch: string | null;
  /** The highest seq seen (or expected-before, after a reset) in that epoch. */
  highest: number | null;
}

/** What one message was, as the audit judged it. */
export type AuditVerdict = 'in-order' | 'after-gap' | 'reordered' | 'duplicate';

export interface Coverage {
  /** lastSeq − firstSeq + 1. */
  expected: number;
  /** Distinct seqs of that range received. */
  delivered: number;
  missing: number;
}

/** Sorted, disjoint, non-adjacent closed ranges of integers. */
export class SeqRanges {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  get rangeCount(): number {
    return this.starts.length;
  }

  has(seq: number): boolean {
    const i = this.indexAtOrBefore(seq);
    return i >= 0 && seq <= (this.ends[i] as number);
  }

  /** Adds `seq`; false if it was already there. */
  add(seq: number): boolean {
    const n = this.starts.length;
    // The common case, in-order delivery: extend the last range in O(1).
    if (n > 0 && seq === (this.ends[n - 1] as number) + 1) {
      this.ends[n - 1] = seq;
      return true;
    }
    const i = this.indexAtOrBefore(seq);
    if (i >= 0 && seq <= (this.ends[i] as number)) return false;
    const joinsLeft = i >= 0 && this.ends[i] === seq - 1;
    const joinsRight = i + 1 < n && this.starts[i + 1] === seq + 1;
    if (joinsLeft && joinsRight) {
      this.ends[i] = this.ends[i + 1] as number;
      this.starts.splice(i + 1, 1);
      this.ends.splice(i + 1, 1);
    } else if (joinsLeft) {
      this.ends[i] = seq;
    } else if (joinsRight) {
      this.starts[i + 1] = seq;
    } else {
      this.starts.splice(i + 1, 0, seq);
      this.ends.splice(i + 1, 0, seq);
    }
    return true;
  }

  /** How many of `lo … hi` are present. */
  countIn(lo: number, hi: number): number {
    if (hi < lo) return 0;
    let count = 0;
    const first = Math.max(0, this.indexAtOrBefore(lo));
    for (let i = first; i < this.starts.length; i++) {
      const start = this.starts[i] as number;
      const end = this.ends[i] as number;
      if (start > hi) break;
      const from = Math.max(start, lo);
      const to = Math.min(end, hi);
      if (to >= from) count += to - from + 1;
    }
    return count;
  }

  /** Forgets every seq ≥ `seq`. */
  deleteFrom(seq: number): void {
    const i = this.indexAtOrBefore(seq - 1);
    // Ranges after i start at or above seq: drop them; range i may straddle seq: trim it.
    this.starts.length = i + 1;
    this.ends.length = i + 1;
    if (i >= 0 && (this.ends[i] as number) >= seq) this.ends[i] = seq - 1;
  }

  /** Index of the last range starting at or before `seq`, −1 if none. */
  private indexAtOrBefore(seq: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts[mid] as number) <= seq) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

interface SequenceSpace {
  seen: SeqRanges;
  /** Holes are counted from here: the first message, or a reset's `from`. */
  base: number;
  /** The highest seq received, or `from − 1` right after a reset. */
  highest: number;
}

export class DeliveryAudit {
  private readonly spaces = new Map<string, SequenceSpace>();
  private currentEpoch: string | null = null;
  private delivered = 0;
  private duplicates = 0;
  private reordered = 0;
  private lost = 0;
  private resets = 0;

  /** Feed one received message. */
  record(message: { epoch: string; seq: number }): AuditVerdict {
    const { epoch, seq } = message;
    let space = this.spaces.get(epoch);
    if (space === undefined) {
      space = { seen: new SeqRanges(), base: seq, highest: seq - 1 };
      this.spaces.set(epoch, space);
    }
    this.currentEpoch = epoch;
    if (!space.seen.add(seq)) {
      this.duplicates++;
      return 'duplicate';
    }
    this.delivered++;
    if (seq > space.highest) {
      const gap = seq - space.highest - 1;
      space.highest = seq;
      if (gap === 0) return 'in-order';
      this.lost += gap;
      return 'after-gap';
    }
    this.reordered++;
    // A hole we counted is filled after all; below `base` we never counted one.
    if (seq >= space.base) this.lost--;
    return 'reordered';
  }

  /** Feed one reset notice: the messages that follow start at `notice.from` in `notice.epoch`. */
  reset(notice: ResetNotice): void {
    this.resets++;
    this.lost += notice.missed ?? 0;
    this.currentEpoch = notice.epoch;
    const space = this.spaces.get(notice.epoch);
    if (space === undefined) {
      this.spaces.set(notice.epoch, { seen: new SeqRanges(), base: notice.from, highest: notice.from - 1 });
      return;
    }
    if (space.highest >= notice.from) {
      // The server's sequence is behind what we saw ('future'): what we counted from `from` on
      // described another history. Un-count its holes and forget its seqs, so the messages that
      // now arrive with those numbers are neither duplicates nor reorders.
      const holes = space.highest - notice.from + 1 - space.seen.countIn(notice.from, space.highest);
      this.lost -= holes;
      space.seen.deleteFrom(notice.from);
    }
    // The jump to `from` (if forward) is covered by `missed`, not counted again as a hole.
    space.highest = notice.from - 1;
    space.base = Math.min(space.base, notice.from);
  }

  /**
   * How much of `firstSeq … lastSeq` (say, what was published while the client listened) was
   * received, in `epoch` (default: the current one).
   */
  expectedFrom(firstSeq: number, lastSeq: number, epoch: string | null = this.currentEpoch): Coverage {
    const expected = Math.max(0, lastSeq - firstSeq + 1);
    const space = epoch === null ? undefined : this.spaces.get(epoch);
    const delivered = space === undefined ? 0 : space.seen.countIn(firstSeq, lastSeq);
    return { expected, delivered, missing: expected - delivered };
  }

  snapshot(): AuditSnapshot {
    const space = this.currentEpoch === null ? undefined : this.spaces.get(this.currentEpoch);
    return {
      delivered: this.delivered,
      duplicates: this.duplicates,
      reordered: this.reordered,
      lost: this.lost,
      resets: this.resets,
      epoch: this.currentEpoch,
      highest: space === undefined ? null : space.highest,
    };
  }
}
