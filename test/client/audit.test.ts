import { describe, expect, it } from 'vitest';
import { DeliveryAudit, SeqRanges } from '../../client/audit.js';
import type { ResetNotice } from '../../contract/index.js';

function feed(audit: DeliveryAudit, epoch: string, seqs: number[]): string[] {
  return seqs.map((seq) => audit.record({ epoch, seq }));
}

function counts(audit: DeliveryAudit) {
  const { delivered, duplicates, reordered, lost, resets } = audit.snapshot();
  return { delivered, duplicates, reordered, lost, resets };
}

describe('SeqRanges', () => {
  it('merges adjacent seqs into one range and answers membership', () => {
    const ranges = new SeqRanges();
    for (const seq of [1, 2, 3, 5, 7, 6, 4]) expect(ranges.add(seq)).toBe(true);
    expect(ranges.rangeCount).toBe(1);
    expect(ranges.add(4)).toBe(false);
    expect(ranges.has(0)).toBe(false);
    expect(ranges.has(1)).toBe(true);
    expect(ranges.has(7)).toBe(true);
    expect(ranges.has(8)).toBe(false);
  });

  it('keeps holes apart and counts within a span', () => {
    const ranges = new SeqRanges();
    for (const seq of [10, 11, 12, 20, 21, 30]) ranges.add(seq);
    expect(ranges.rangeCount).toBe(3);
    expect(ranges.countIn(1, 100)).toBe(6);
    expect(ranges.countIn(11, 20)).toBe(3);
    expect(ranges.countIn(13, 19)).toBe(0);
    expect(ranges.countIn(30, 30)).toBe(1);
    expect(ranges.countIn(5, 4)).toBe(0);
  });

  it('fills a one-seq hole by joining both neighbours', () => {
    const ranges = new SeqRanges();
    for (const seq of [1, 2, 4, 5]) ranges.add(seq);
    expect(ranges.rangeCount).toBe(2);
    ranges.add(3);
    expect(ranges.rangeCount).toBe(1);
    expect(ranges.countIn(1, 5)).toBe(5);
  });

  it('inserts before the first range and extends a range downwards', () => {
    const ranges = new SeqRanges();
    ranges.add(10);
    ranges.add(5);
    ranges.add(9);
    expect(ranges.rangeCount).toBe(2);
    expect(ranges.countIn(0, 20)).toBe(3);
  });

  it('forgets everything from a seq on, trimming a straddling range', () => {
    const ranges = new SeqRanges();
    for (const seq of [1, 2, 3, 4, 5, 8, 9, 12]) ranges.add(seq);
    ranges.deleteFrom(4);
    expect(ranges.countIn(0, 100)).toBe(3);
    expect(ranges.has(3)).toBe(true);
    expect(ranges.has(4)).toBe(false);
    ranges.deleteFrom(1);
    expect(ranges.rangeCount).toBe(0);
  });

  it('holds a million in-order seqs in one range', () => {
    const ranges = new SeqRanges();
    for (let seq = 1; seq <= 1_000_000; seq++) ranges.add(seq);
    expect(ranges.rangeCount).toBe(1);
    expect(ranges.countIn(1, 1_000_000)).toBe(1_000_000);
  });
});

describe('DeliveryAudit', () => {
  it('counts an in-order stream as delivered and nothing else', () => {
    const audit = new DeliveryAudit();
    expect(feed(audit, 'a', [1, 2, 3, 4])).toEqual(['in-order', 'in-order', 'in-order', 'in-order']);
    expect(counts(audit)).toEqual({ delivered: 4, duplicates: 0, reordered: 0, lost: 0, resets: 0 });
    expect(audit.snapshot()).toMatchObject({ epoch: 'a', highest: 4 });
  });

  it('expects nothing before the first message of a live-only start', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [1042, 1043]);
    expect(counts(audit)).toMatchObject({ delivered: 2, lost: 0 });
  });

  it('counts a jump past highest + 1 as lost', () => {
    const audit = new DeliveryAudit();
    expect(feed(audit, 'a', [1, 2, 6, 7])).toEqual(['in-order', 'in-order', 'after-gap', 'in-order']);
    expect(counts(audit)).toEqual({ delivered: 4, duplicates: 0, reordered: 0, lost: 3, resets: 0 });
  });

  it('counts a seen seq again as a duplicate, not as delivered', () => {
    const audit = new DeliveryAudit();
    expect(feed(audit, 'a', [1, 2, 3, 2, 3, 3])).toEqual([
      'in-order',
      'in-order',
      'in-order',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(counts(audit)).toEqual({ delivered: 3, duplicates: 3, reordered: 0, lost: 0, resets: 0 });
  });

  it('counts a late unseen seq as reordered and un-loses the hole it fills', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [1, 2, 4, 5]);
    expect(counts(audit).lost).toBe(1);
    expect(audit.record({ epoch: 'a', seq: 3 })).toBe('reordered');
    expect(counts(audit)).toEqual({ delivered: 5, duplicates: 0, reordered: 1, lost: 0, resets: 0 });
    // …and once filled, it is a duplicate.
    expect(audit.record({ epoch: 'a', seq: 3 })).toBe('duplicate');
  });

  it('un-loses a wide hole seq by seq, in any order', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [1, 10]);
    expect(counts(audit).lost).toBe(8);
    feed(audit, 'a', [5, 2, 9]);
    expect(counts(audit)).toEqual({ delivered: 5, duplicates: 0, reordered: 3, lost: 5, resets: 0 });
  });

  it('counts a seq below the first one seen as reordered without touching lost', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [10, 11, 9]);
    expect(counts(audit)).toEqual({ delivered: 3, duplicates: 0, reordered: 1, lost: 0, resets: 0 });
  });

  it('adds the missed of an evicted reset to lost and expects `from` next', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [1, 2, 3]);
    const notice: ResetNotice = { reason: 'evicted', epoch: 'a', missed: 96, from: 100 };
    audit.reset(notice);
    expect(feed(audit, 'a', [100, 101])).toEqual(['in-order', 'in-order']);
    expect(counts(audit)).toEqual({ delivered: 5, duplicates: 0, reordered: 0, lost: 96, resets: 1 });
  });

  it('starts a fresh sequence space at `from` after an epoch reset', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [500, 501]);
    audit.reset({ reason: 'epoch', epoch: 'b', from: 1 });
    expect(feed(audit, 'b', [1, 2, 3])).toEqual(['in-order', 'in-order', 'in-order']);
    expect(counts(audit)).toEqual({ delivered: 5, duplicates: 0, reordered: 0, lost: 0, resets: 1 });
    expect(audit.snapshot()).toMatchObject({ epoch: 'b', highest: 3 });
  });

  it('counts a gap right after a reset as lost', () => {
    const audit = new DeliveryAudit();
    audit.reset({ reason: 'epoch', epoch: 'b', from: 1 });
    feed(audit, 'b', [3]);
    expect(counts(audit).lost).toBe(2);
  });

  it('keeps epochs apart: the same seq in another epoch is not a duplicate', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [1, 2]);
    feed(audit, 'b', [1, 2]);
    expect(counts(audit)).toEqual({ delivered: 4, duplicates: 0, reordered: 0, lost: 0, resets: 0 });
    // A straggler of the old epoch is still judged in its own space.
    expect(audit.record({ epoch: 'a', seq: 2 })).toBe('duplicate');
  });

  it('after a future reset, takes the lower seqs as new messages, not duplicates', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [1, 2, 3, 5, 6]);
    expect(counts(audit).lost).toBe(1);
    audit.reset({ reason: 'future', epoch: 'a', from: 4 });
    expect(feed(audit, 'a', [4, 5, 6])).toEqual(['in-order', 'in-order', 'in-order']);
    // The hole at 4 belonged to the forgotten history; 4 has now arrived anyway.
    // 5 and 6 are new messages of the server's history: delivered again.
    expect(counts(audit)).toEqual({ delivered: 8, duplicates: 0, reordered: 0, lost: 0, resets: 1 });
  });

  it('un-counts holes of a forgotten history on a future reset', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [1, 5]);
    expect(counts(audit).lost).toBe(3);
    audit.reset({ reason: 'future', epoch: 'a', from: 3 });
    // Hole 2 stays lost (before `from`); holes 3, 4 described the forgotten history.
    expect(counts(audit).lost).toBe(1);
    feed(audit, 'a', [3, 4, 5]);
    expect(counts(audit)).toMatchObject({ lost: 1, duplicates: 0 });
  });

  it('counts every reset, including repeated ones', () => {
    const audit = new DeliveryAudit();
    audit.reset({ reason: 'epoch', epoch: 'b', from: 1 });
    audit.reset({ reason: 'epoch', epoch: 'b', from: 1 });
    expect(counts(audit).resets).toBe(2);
  });

  it('reports coverage of a published range with expectedFrom', () => {
    const audit = new DeliveryAudit();
    feed(audit, 'a', [10, 11, 13, 14, 16]);
    expect(audit.expectedFrom(10, 16)).toEqual({ expected: 7, delivered: 5, missing: 2 });
    expect(audit.expectedFrom(1, 9)).toEqual({ expected: 9, delivered: 0, missing: 9 });
    expect(audit.expectedFrom(1, 3, 'other')).toEqual({ expected: 3, delivered: 0, missing: 3 });
    expect(new DeliveryAudit().expectedFrom(1, 2)).toEqual({ expected: 2, delivered: 0, missing: 2 });
  });

  it('has an empty snapshot before anything', () => {
    expect(new DeliveryAudit().snapshot()).toEqual({
      delivered: 0,
      duplicates: 0,
      reordered: 0,
      lost: 0,
      resets: 0,
      epoch: null,
      highest: null,
    });
  });

  it('agrees with a brute-force model on random streams', () => {
    let state = 42;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    for (let round = 0; round < 50; round++) {
      const audit = new DeliveryAudit();
      const seen = new Set<number>();
      let highest = 0;
      let duplicates = 0;
      let reordered = 0;
      let first: number | undefined;
      for (let i = 0; i < 300; i++) {
        const r = random();
        const seq =
          r < 0.7
            ? highest + 1
            : r < 0.8
              ? highest + 2 + Math.floor(random() * 5)
              : 1 + Math.floor(random() * Math.max(1, highest));
        first ??= seq;
        if (seen.has(seq)) duplicates++;
        else if (seq < highest) reordered++;
        seen.add(seq);
        highest = Math.max(highest, seq);
        audit.record({ epoch: 'e', seq });
      }
      // Holes count from the first message received: nothing before it was expected.
      const base = first as number;
      const lost = highest - base + 1 - [...seen].filter((s) => s >= base).length;
      expect(counts(audit)).toEqual({ delivered: seen.size, duplicates, reordered, lost, resets: 0 });
    }
  });
});
