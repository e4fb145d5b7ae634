/**
 * The page's estimate of the server's clock (client/clock.ts: the lowest-round-trip sample of
 * `GET /api/time`). Every lane's client gets `now()` from here, so an event age
 * `receivedAt − ts` compares two readings of the same clock. The offset is shown, never hidden.
 */
import { type ClockEstimate, defaultNow, estimateOffset } from '../../client/clock.js';

export class ServerClock {
  private estimate: ClockEstimate | null = null;

  /** Local time + offset: the server's clock as best we know it, ms since the Unix epoch. */
  readonly now = (): number => defaultNow() + (this.estimate?.offsetMs ?? 0);

  get current(): ClockEstimate | null {
    return this.estimate;
  }

  /** Measure now and use the result (the student's "re-measure": clocks drift). */
  async measure(samples = 8): Promise<ClockEstimate> {
    this.estimate = await estimateOffset((url, init) => fetch(url, init), location.origin, samples);
    return this.estimate;
  }

  /**
   * Measure again and keep whichever estimate had the lower round trip: the first one is taken
   * while the page is still starting (parsing, first layout), and its error is ± half that RTT.
   */
  async refine(samples = 8): Promise<ClockEstimate | null> {
    const fresh = await estimateOffset((url, init) => fetch(url, init), location.origin, samples);
    if (this.estimate === null || fresh.rttMs < this.estimate.rttMs) this.estimate = fresh;
    return this.estimate;
  }
}
