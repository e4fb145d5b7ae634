/** Which deliveries count: by seq for delivery and latency, by receive time for the cost ratios. */
import { describe, expect, it } from 'vitest';
import { DeliveryLog } from '../../scenarios/delivery-log.js';
import { FeedWindow } from '../../scenarios/feed-window.js';

describe('FeedWindow and DeliveryLog', () => {
  it('keeps the seqs published in the window, across a restart, whenever they arrive', () => {
    const window = new FeedWindow();
    window.open('old', 10, 1_000);
    window.close('old', 15); // restart: the old epoch ends at 15…
    window.openEpoch('new'); // …and the new one counts from its first message
    window.close('new', 3);
    expect(window.published).toBe(5 + 3);
    expect(window.contains('old', 10)).toBe(false);
    expect(window.contains('old', 11)).toBe(true);
    expect(window.contains('old', 16)).toBe(false);
    expect(window.contains('new', 1)).toBe(true);
    expect(window.contains('other', 1)).toBe(false);

    const log = new DeliveryLog();
    log.add('old', 10, 5, 100, 999); // before the window
    log.add('old', 11, 7, 100, 1_200); // in, second 0
    log.add('old', 15, 9, 100, 2_500); // in, second 1
    log.add('new', 1, 11, 100, 3_100); // in, second 2
    log.add('new', 4, 13, 100, 3_200); // published after the window closed
    const w = log.windowed(window.closedRanges, window.startedAt);
    expect(w.latency.count).toBe(3);
    expect(w.latency.summary().max).toBeCloseTo(11, 1);
    expect(w.payloadBytes).toBe(300);
    expect(w.timeline).toEqual([1, 1, 1]);
    // The cost window is by receive time: the pre-window message arriving at 999 is out, the late one in.
    expect(log.between(1_000, 3_200)).toEqual({ count: 4, payloadBytes: 400 });
  });

  it('grows past its first allocation', () => {
    const log = new DeliveryLog();
    for (let i = 1; i <= 5_000; i++) log.add('e', i, 1, 10, i);
    expect(log.size).toBe(5_000);
    expect(log.between(0, 10_000).count).toBe(5_000);
  });
});
