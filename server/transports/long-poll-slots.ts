/**
 * The open-stream entries of held long polls (`accounting.holdStream`), reused from poll to poll
 * rather than one object per poll.
 *
 * Why: the accounting keeps its open streams in one Set that lives as long as the server (old
 * generation). A long poll is a stream per delivery, so its entries churn through that Set a
 * thousand times a second at the benchmark's load, and when each entry was the held poll itself,
 * every poll's request and response survived the young-generation collections and were promoted:
 * 23 % of the new space survived each scavenge against 2–5 % without the Set (`--trace-gc-nvp`,
 * 100 long polls at 10 msg/s), 15 MB promoted in 5 s against 1.6, and a scavenge took ~20 ms.
 * (Measured, not explained: which V8 structure kept the entries is not known; the scavenger treats
 * every pointer from old space as a root, dead or not.) A slot lives as long as the server, so
 * whatever keeps it keeps nothing else: it drops its poll and its attribution when the poll ends.
 *
 * Free slots are kept without a bound of their own: there are never more than the polls held at
 * once, which the connection bound (`maxStreams`) limits.
 */
import type { Accounting, Attribution, OpenStream } from '../accounting/accounting.js';

/** What a slot closes on shutdown: its held poll. */
export interface Closable {
  close(): void;
}

/** Whom a free slot belongs to: nobody (it is in no open-stream count while free). */
const NOBODY: Attribution = { bucket: 'long-poll', client: null, held: null };

/** Slots made, all labs of the process together (for tests): one per poll held at once, not one per poll. */
export const streamSlots = { made: 0 };

export class StreamSlot implements OpenStream {
  who: Attribution = NOBODY;
  held: Closable | null = null;

  /** Shutdown (the accounting's closeAllStreams): its poll answers the way a held poll does. */
  close(): void {
    this.held?.close();
  }
}

export class StreamSlots {
  private readonly free: StreamSlot[] = [];

  constructor(private readonly accounting: Accounting) {}

  /** Counts `held` as an open stream of `who` until `close(slot)`. */
  open(who: Attribution, held: Closable): StreamSlot {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = new StreamSlot();
      streamSlots.made += 1;
    }
    slot.who = who;
    slot.held = held;
    this.accounting.holdStream(slot);
    return slot;
  }

  /** The stream ended: uncounted, then the slot forgets its poll and goes back to the free list. */
  close(slot: StreamSlot): void {
    this.accounting.closeStream(slot);
    slot.who = NOBODY;
    slot.held = null;
    this.free.push(slot);
  }
}
