/**
 * The held long polls' deadlines (server/transports/hold-deadlines.ts): one timer per distinct
 * timeout, every item expires once, in order, never before its deadline, and one that left early
 * never expires. Counted quantities and order only: no duration is asserted.
 */
import { describe, expect, it } from 'vitest';
import { hotPath } from '../server/transports/fan-out.js';
import { type Expiring, HoldDeadlines } from '../server/transports/hold-deadlines.js';

class Item implements Expiring {
  deadline = 0;
  dueIn: Expiring['dueIn'] = null;
  dueBefore: Expiring | null = null;
  dueAfter: Expiring | null = null;
  expiredAt: number | null = null;
  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly onExpire?: () => void,
  ) {}
  expire(): void {
    expect(this.expiredAt).toBeNull();
    this.expiredAt = performance.now();
    this.log.push(this.name);
    this.onExpire?.();
  }
}

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('hold deadlines', () => {
  it('arms one timer per distinct timeout, however many items are queued with it', () => {
    const deadlines = new HoldDeadlines();
    const log: string[] = [];
    const armed = hotPath.longPollTimersArmed;
    const items = Array.from({ length: 50 }, (_, i) => new Item(`a${i}`, log));
    for (const item of items) deadlines.add(item, 60_000);
    expect(hotPath.longPollTimersArmed - armed).toBe(1);
    deadlines.add(new Item('b', log), 30_000);
    expect(hotPath.longPollTimersArmed - armed).toBe(2);
    expect(deadlines.size).toBe(51);
    // All leave early (a publish answered them): the queues empty, their timers are cleared.
    for (const item of items) deadlines.remove(item);
    expect(deadlines.size).toBe(1);
    deadlines.remove(items[0] as Item); // twice is harmless
    expect(deadlines.size).toBe(1);
    expect(deadlines.timers).toBe(1);
    expect(log).toEqual([]);
  });

  it('expires each item once, in deadline order, never before its deadline; one removed never expires', async () => {
    const deadlines = new HoldDeadlines();
    const log: string[] = [];
    const items = {
      short1: new Item('short1', log),
      short2: new Item('short2', log),
      gone: new Item('gone', log),
      short3: new Item('short3', log),
      long: new Item('long', log),
    };
    deadlines.add(items.short1, 20);
    deadlines.add(items.short2, 20);
    deadlines.add(items.long, 120);
    deadlines.add(items.gone, 20);
    deadlines.add(items.short3, 20);
    // The first leaves early too: the timer armed for it finds a later first and waits on.
    deadlines.remove(items.gone);
    deadlines.remove(items.short1);
    await until(() => log.length === 3, 'three expiries');
    expect(log).toEqual(['short2', 'short3', 'long']);
    for (const item of Object.values(items)) {
      if (item.expiredAt !== null) expect(item.expiredAt).toBeGreaterThanOrEqual(item.deadline);
    }
    expect(items.gone.expiredAt).toBeNull();
    expect(items.short1.expiredAt).toBeNull();
    expect(deadlines.size).toBe(0);
  });

  it('an expiry that queues a new item with the same timeout (the client polls again) is served in turn', async () => {
    const deadlines = new HoldDeadlines();
    const log: string[] = [];
    let again = 3;
    const holdAgain = (): void => {
      if (again-- > 0) deadlines.add(new Item(`again${again}`, log, holdAgain), 10);
    };
    deadlines.add(new Item('first', log, holdAgain), 10);
    expect(deadlines.timers).toBe(1);
    await until(() => log.length === 4, 'four expiries');
    expect(log).toEqual(['first', 'again2', 'again1', 'again0']);
    expect(deadlines.size).toBe(0);
    expect(deadlines.timers).toBe(0);
  });
});
