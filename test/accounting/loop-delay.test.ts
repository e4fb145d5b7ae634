/**
 * server/accounting/loop-delay.ts: the event-loop delay monitor runs only while `/metrics` is
 * scraped — off until the first read, on from then, off again after IDLE_STOP_MS without a read.
 * (An idle lab must not wake 100 times a second for a metric nobody reads.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDLE_STOP_MS, ScrapedLoopDelay } from '../../server/accounting/loop-delay.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('the scraped event-loop delay', () => {
  it('is not sampled before the first read, and the first read has nothing to report', () => {
    const delay = new ScrapedLoopDelay();
    expect(delay.running).toBe(false);
    expect(delay.read()).toBeNull();
    expect(delay.running).toBe(true);
    delay.stop();
    expect(delay.running).toBe(false);
  });

  it('reports the delay since the previous read, in seconds, at four quantiles', async () => {
    const delay = new ScrapedLoopDelay();
    try {
      delay.read();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const reading = delay.read();
      expect(reading?.quantiles.map(([quantile]) => quantile)).toEqual(['0.5', '0.9', '0.99', '1']);
      for (const [, seconds] of reading?.quantiles ?? []) {
        expect(seconds).toBeGreaterThan(0);
        expect(seconds).toBeLessThan(10);
      }
    } finally {
      delay.stop();
    }
  });

  it('stops after IDLE_STOP_MS without a read, and a read after that starts it again with nothing to report', () => {
    vi.useFakeTimers();
    const delay = new ScrapedLoopDelay();
    delay.read();
    vi.advanceTimersByTime(IDLE_STOP_MS - 1_000);
    expect(delay.read()).not.toBeNull(); // a read within the interval keeps it running…
    vi.advanceTimersByTime(IDLE_STOP_MS - 1_000);
    expect(delay.running).toBe(true); // …for another whole interval from that read
    vi.advanceTimersByTime(1_000);
    expect(delay.running).toBe(false);
    expect(delay.read()).toBeNull();
    expect(delay.running).toBe(true);
    delay.stop();
  });
});
