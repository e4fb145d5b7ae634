/**
 * The measurement window, as ranges of the feed's sequence: per epoch, the seqs published while
 * measuring, `lo < seq <= hi`. A message counts (latency, delivered, timeline) if and only if it
 * is in the window, whatever time it arrives; so a slow poll that fetches the last messages
 * during the drain still counts them, and warm-up messages never do.
 *
 * The window opens at the head the feed had when measuring began; a restart closes the old
 * epoch's range at its last head and opens the new epoch's from 0; the end of the measurement
 * pauses the feed and closes the range at the final head.
 */

export interface EpochRange {
  epoch: string;
  /** Last seq before the window (exclusive bound). */
  lo: number;
  /** Last seq in the window; Infinity while it is open. */
  hi: number;
}

export class FeedWindow {
  private readonly ranges = new Map<string, EpochRange>();
  /** When measuring began, runner clock (ms since the Unix epoch). */
  startedAt = 0;

  open(epoch: string, head: number, at: number): void {
    this.ranges.clear();
    this.startedAt = at;
    this.ranges.set(epoch, { epoch, lo: head, hi: Number.POSITIVE_INFINITY });
  }

  /** A new epoch begins (server restart): everything it publishes is in the window until closed. */
  openEpoch(epoch: string): void {
    this.ranges.set(epoch, { epoch, lo: 0, hi: Number.POSITIVE_INFINITY });
  }

  close(epoch: string, head: number): void {
    const range = this.ranges.get(epoch);
    if (range) range.hi = head;
  }

  contains(epoch: string, seq: number): boolean {
    const range = this.ranges.get(epoch);
    return range !== undefined && seq > range.lo && seq <= range.hi;
  }

  /** Closed ranges only: what each client should have received. */
  get closedRanges(): EpochRange[] {
    return [...this.ranges.values()].filter((r) => Number.isFinite(r.hi));
  }

  /** Messages published in the window (closed ranges). */
  get published(): number {
    return this.closedRanges.reduce((sum, r) => sum + Math.max(0, r.hi - r.lo), 0);
  }
}
