import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../client/latency.js';

describe('LatencyHistogram', () => {
  it('summarizes in milliseconds, to about three significant digits', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i); // 1 … 1000 ms
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(500, -1);
    expect(s.p90).toBeCloseTo(900, -1);
    expect(s.p99).toBeCloseTo(990, -1);
    expect(s.p999).toBeCloseTo(999, -1);
    expect(s.max).toBeCloseTo(1000, -1);
    expect(s.mean).toBeCloseTo(500.5, 0);
  });

  it('keeps sub-millisecond ages apart (recorded in microseconds)', () => {
    const h = new LatencyHistogram();
    h.record(0.25);
    h.record(0.75);
    const s = h.summary();
    expect(s.p50).toBeCloseTo(0.25, 3);
    expect(s.max).toBeCloseTo(0.75, 3);
  });

  it('records a negative age as 0 and counts it, so a clock problem shows', () => {
    const h = new LatencyHistogram();
    h.record(-5);
    h.recordAge(1000, 1003); // received before it was sent: clocks disagree
    h.record(10);
    expect(h.negative).toBe(2);
    expect(h.count).toBe(3);
    expect(h.summary().p50).toBe(0);
  });

  it('clamps ages beyond an hour and counts them', () => {
    const h = new LatencyHistogram();
    h.record(2 * 3_600_000);
    expect(h.overflow).toBe(1);
    expect(h.summary().max).toBeCloseTo(3_600_000, -4);
  });

  it('summarizes an empty histogram as zeros', () => {
    expect(new LatencyHistogram().summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
  });

  it('round-trips through compressed base64 and merges several', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 100; i++) a.record(10);
    for (let i = 0; i < 100; i++) b.record(1000);
    const encoded = a.encode();
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const merged = LatencyHistogram.decodeAndMerge([encoded, b.encode(), '']);
    const s = merged.summary();
    expect(s.count).toBe(200);
    expect(s.p50).toBeCloseTo(10, 1);
    expect(s.p99).toBeCloseTo(1000, -1);
    expect(LatencyHistogram.decodeAndMerge([]).summary().count).toBe(0);
  });

  it('adds another histogram, negatives included, and resets', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(1);
    b.record(-1);
    a.add(b);
    expect(a.count).toBe(2);
    expect(a.negative).toBe(1);
    a.reset();
    expect(a.count).toBe(0);
    expect(a.negative).toBe(0);
  });

  it('refuses NaN (a missing ts is a bug, not an age)', () => {
    expect(() => new LatencyHistogram().record(Number.NaN)).toThrow(RangeError);
  });
});
