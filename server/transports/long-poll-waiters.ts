/**
 * The held long polls, indexed by what their answer depends on (cursor and limit), behind ONE
 * feed subscription. A publish wakes exactly the polls held at that moment, each once: one answer
 * body is built per distinct (cursor, limit) — in practice one, since a poll is only held when
 * nothing is newer than its cursor, i.e. every held poll waits at the head — and each waiter gets
 * that same text. Waiters that leave (answered by their timeout, cut, gone) are removed at once.
 */
import type { ResetNotice } from '../../contract/index.js';
import type { Feed, FeedEntry } from '../feed/feed.js';
import { hotPath } from './fan-out.js';
import { pollBody } from './poll-answer.js';

export interface Waiter {
  since: number;
  limit: number;
  /** The group it is held in (set by `add`, cleared when woken or removed): removal needs no closure. */
  heldIn: Set<Waiter> | null;
  /**
   * Answer with these messages (their body is prebuilt). Called at most once, by a publish or,
   * behind a broker, by a feed reset (then `entries` is empty and `reset` says where to resume).
   */
  wake(entries: readonly FeedEntry[], body: string, reset: ResetNotice | null): void;
}

export class LongPollWaiters {
  /** `since` → `limit` → the waiters. */
  private groups = new Map<number, Map<number, Set<Waiter>>>();
  private count = 0;

  constructor(private readonly feed: Feed) {
    feed.subscribe(
      () => this.wakeAll(null),
      // Only behind a broker does the feed jump (server/feed/feed.ts): every held poll answers with it.
      (notice) => this.wakeAll(notice),
    );
  }

  get size(): number {
    return this.count;
  }

  /** Hold `waiter` until the next publish, or until `remove(waiter)`. */
  add(waiter: Waiter): void {
    let byLimit = this.groups.get(waiter.since);
    if (!byLimit) {
      byLimit = new Map();
      this.groups.set(waiter.since, byLimit);
    }
    let set = byLimit.get(waiter.limit);
    if (!set) {
      set = new Set();
      byLimit.set(waiter.limit, set);
    }
    set.add(waiter);
    waiter.heldIn = set;
    this.count += 1;
  }

  /** Stop holding `waiter` (answered by its timeout, cut, gone); harmless when it was already woken. */
  remove(waiter: Waiter): void {
    if (waiter.heldIn?.delete(waiter)) this.count -= 1;
    waiter.heldIn = null;
  }

  private wakeAll(reset: ResetNotice | null): void {
    if (this.count === 0) return;
    // Take the whole index first: a waiter's answer may make its client poll again at once (in a
    // test, in the same process); that new poll waits for the next publish, not this one.
    const groups = this.groups;
    this.groups = new Map();
    this.count = 0;
    const { feed } = this;
    for (const [since, byLimit] of groups) {
      for (const [limit, waiters] of byLimit) {
        if (waiters.size === 0) continue;
        // Emptied before waking, so a waiter's own removal (when its answer is sent) finds
        // nothing left to remove and does not count it twice.
        const woken = [...waiters];
        waiters.clear();
        const entries = reset === null ? feed.after(since, limit) : [];
        const body = pollBody(feed.epoch, feed.head, entries, reset);
        hotPath.longPollBodiesBuilt += 1;
        for (const waiter of woken) {
          waiter.heldIn = null;
          hotPath.longPollWakeups += 1;
          waiter.wake(entries, body, reset);
        }
      }
    }
  }
}
