/**
 * When held long polls give up: ONE timer per distinct `timeout`, not a `setTimeout` per held poll.
 * Polls held with the same timeout are due in the order they were held, so each timeout keeps its
 * polls in a queue threaded through the polls themselves (no node, no closure) with one timer armed
 * for the first. A poll that leaves early (woken by a publish, cut, shut down) unlinks itself; the
 * queue that empties clears its timer. In a busy feed every publish answers every held poll, so a
 * poll arms no timer of its own at all (heartbeat.ts: one timer for all of a transport's streams).
 *
 * A poll is never answered before its timeout: due means `deadline <= performance.now()`, and a
 * timer that fires a little early (Node's timers count from the event loop's cached time) is armed
 * again for the rest.
 */
import { hotPath } from './fan-out.js';

export interface Expiring {
  /** `performance.now()` at which it is due; set by `add`. */
  deadline: number;
  /** Its queue and neighbours while queued (set by `add`, cleared by `remove` or expiry). */
  dueIn: DeadlineQueue | null;
  dueBefore: Expiring | null;
  dueAfter: Expiring | null;
  /** Its time is up (called once, after it left its queue). */
  expire(): void;
}

interface DeadlineQueue {
  readonly timeoutMs: number;
  first: Expiring | null;
  last: Expiring | null;
  timer: NodeJS.Timeout | null;
}

export class HoldDeadlines {
  /** `timeout` → the polls held with it, earliest first. Empty queues are dropped. */
  private readonly queues = new Map<number, DeadlineQueue>();

  /** Queue `item` to expire `timeoutMs` from now. */
  add(item: Expiring, timeoutMs: number): void {
    let queue = this.queues.get(timeoutMs);
    if (queue === undefined) {
      queue = { timeoutMs, first: null, last: null, timer: null };
      this.queues.set(timeoutMs, queue);
    }
    item.deadline = performance.now() + timeoutMs;
    item.dueIn = queue;
    item.dueBefore = queue.last;
    item.dueAfter = null;
    if (queue.last === null) queue.first = item;
    else queue.last.dueAfter = item;
    queue.last = item;
    if (queue.timer === null) this.arm(queue, timeoutMs);
  }

  /** Take `item` out of its queue before it is due; harmless when it is not queued. */
  remove(item: Expiring): void {
    const queue = item.dueIn;
    if (queue === null) return;
    this.unlink(queue, item);
    if (queue.first === null) this.drop(queue);
  }

  /** Queued items, all timeouts together (for tests). */
  get size(): number {
    let size = 0;
    for (const queue of this.queues.values()) for (let item = queue.first; item; item = item.dueAfter) size += 1;
    return size;
  }

  /** Timers armed now (for tests): one per timeout with items queued. */
  get timers(): number {
    let timers = 0;
    for (const queue of this.queues.values()) if (queue.timer !== null) timers += 1;
    return timers;
  }

  private unlink(queue: DeadlineQueue, item: Expiring): void {
    if (item.dueBefore === null) queue.first = item.dueAfter;
    else item.dueBefore.dueAfter = item.dueAfter;
    if (item.dueAfter === null) queue.last = item.dueBefore;
    else item.dueAfter.dueBefore = item.dueBefore;
    item.dueIn = null;
    item.dueBefore = null;
    item.dueAfter = null;
  }

  private drop(queue: DeadlineQueue): void {
    if (queue.timer !== null) clearTimeout(queue.timer);
    queue.timer = null;
    if (this.queues.get(queue.timeoutMs) === queue) this.queues.delete(queue.timeoutMs);
  }

  private arm(queue: DeadlineQueue, delayMs: number): void {
    hotPath.longPollTimersArmed += 1;
    queue.timer = setTimeout(expireDue, Math.max(1, Math.ceil(delayMs)), this, queue);
  }

  /** The queue's timer fired: expire every item now due, then wait for the next one. */
  fire(queue: DeadlineQueue): void {
    queue.timer = null;
    for (let item = queue.first; item !== null; item = queue.first) {
      const now = performance.now();
      if (item.deadline > now) {
        // An expiry may have held a new poll with this timeout, which armed the timer already.
        if (queue.timer === null) this.arm(queue, item.deadline - now);
        return;
      }
      this.unlink(queue, item);
      item.expire();
    }
    this.drop(queue);
  }
}

function expireDue(deadlines: HoldDeadlines, queue: DeadlineQueue): void {
  deadlines.fire(queue);
}
