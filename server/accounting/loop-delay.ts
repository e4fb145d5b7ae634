/**
 * The event-loop delay `/metrics` reports, sampled only while someone scrapes it.
 *
 * Why not always: Node's monitor is a timer that fires every `RESOLUTION_MS`, and an idle lab woke
 * ~100 times a second for it — about 9 ms of CPU per second that no bare server pays, which every
 * CPU-per-delivery figure of `npm run bench` carried (most of all the long poll's, with the fewest
 * deliveries per second). So the monitor starts at the first scrape and stops when nobody has
 * scraped for `IDLE_STOP_MS`. A scrape reports the delay since the previous one; when the monitor
 * was not running over that interval (the first scrape, or the first after an idle stop) there is
 * nothing to report, and the gauge has no sample rather than a made-up zero.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** How often the monitor's timer samples the loop while it runs. */
export const RESOLUTION_MS = 10;
/** No scrape for this long and the monitor stops (Prometheus scrapes every 15 s to a few minutes). */
export const IDLE_STOP_MS = 10 * 60_000;

export interface LoopDelayReading {
  /** Delay in seconds at the 50th, 90th and 99th percentile, and the largest. */
  quantiles: [quantile: string, seconds: number][];
}

export class ScrapedLoopDelay {
  private histogram: IntervalHistogram | null = null;
  private idleStop: NodeJS.Timeout | null = null;

  /** Whether the monitor runs now (for tests). */
  get running(): boolean {
    return this.histogram !== null;
  }

  /** The delay since the last read, or null when the monitor was not running over it; starts it if it is not. */
  read(): LoopDelayReading | null {
    const histogram = this.histogram;
    this.keepRunning();
    if (histogram === null) return null;
    const quantiles: [string, number][] = [50, 90, 99].map((q) => [String(q / 100), histogram.percentile(q) / 1e9]);
    quantiles.push(['1', histogram.max / 1e9]);
    histogram.reset();
    return { quantiles };
  }

  stop(): void {
    if (this.idleStop !== null) clearTimeout(this.idleStop);
    this.idleStop = null;
    this.histogram?.disable();
    this.histogram = null;
  }

  private keepRunning(): void {
    if (this.histogram === null) {
      this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      this.histogram.enable();
    }
    if (this.idleStop !== null) this.idleStop.refresh();
    else this.idleStop = setTimeout(() => this.stop(), IDLE_STOP_MS).unref();
  }
}
