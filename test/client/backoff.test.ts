import { describe, expect, it } from 'vitest';
import { Backoff, backoffCeiling, backoffDelay } from '../../client/backoff.js';

describe('backoffCeiling', () => {
  it('doubles from base and stops at cap', () => {
    const options = { baseMs: 250, capMs: 10_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffCeiling(attempt, options))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  it('stays at cap for absurd attempts (2^attempt overflows to Infinity)', () => {
    expect(backoffCeiling(5000, { baseMs: 250, capMs: 10_000 })).toBe(10_000);
  });

  it('refuses negative or fractional attempts', () => {
    expect(() => backoffCeiling(-1, { baseMs: 1, capMs: 2 })).toThrow(RangeError);
    expect(() => backoffCeiling(1.5, { baseMs: 1, capMs: 2 })).toThrow(RangeError);
  });
});

describe('backoffDelay (full jitter)', () => {
  it('is random(0, ceiling): 0 at random() = 0, just under the ceiling near 1', () => {
    expect(backoffDelay(3, { baseMs: 100, capMs: 10_000, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { baseMs: 100, capMs: 10_000, random: () => 0.5 })).toBe(400);
    expect(backoffDelay(3, { baseMs: 100, capMs: 10_000, random: () => 0.999 })).toBeCloseTo(799.2);
  });

  it('keeps the first retry fast with the defaults (under 250 ms)', () => {
    for (let i = 0; i < 1000; i++) {
      const delay = backoffDelay(0);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(250);
    }
  });

  it('spreads delays over the whole window (no clustering at the ceiling)', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(2, { baseMs: 100, capMs: 10_000 }));
    const below = delays.filter((d) => d < 200).length;
    // Uniform on [0, 400): about half below 200.
    expect(below).toBeGreaterThan(800);
    expect(below).toBeLessThan(1200);
  });
});

describe('Backoff', () => {
  it('counts attempts and starts over after reset()', () => {
    const backoff = new Backoff({ baseMs: 100, capMs: 1000, random: () => 1 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoff.attempt).toBe(5);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(100);
  });

  it('refuses a cap below base', () => {
    expect(() => new Backoff({ baseMs: 1000, capMs: 10 })).toThrow(RangeError);
  });
});
