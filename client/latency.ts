/**
 * Event-age histograms: a thin wrapper over hdr-histogram-js (docs/architecture.md, step 5).
 *
 * Values are recorded in MICROseconds (HDR histograms hold integers; 1 µs resolution keeps
 * sub-millisecond WebSocket ages apart) and reported in milliseconds.
 *
 * A negative age means the receiver's clock is behind the publisher's: a clock-offset problem.
 * It is recorded as 0 and counted in `negative`, so it shows instead of vanishing.
 *
 * The pure-JS histogram (`useWebAssembly: false`) is used everywhere: it bundles for the browser
 * (esbuild picks the package's UMD build, whose compression falls back to the bundled pako when
 * there is no `require('zlib')`), and encoded histograms from Node and browser are interchangeable.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/** 1 hour in µs: anything older is not an event age but a broken clock. */
export const HIGHEST_TRACKABLE_US = 3_600_000_000;

export interface LatencySummaryMs {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export class LatencyHistogram {
  private histogram: Histogram = newHistogram();
  private negativeCount = 0;
  private overflowCount = 0;

  /** Rebuild a histogram from `encode()` outputs (several clients, several processes) merged into one. */
  static decodeAndMerge(encoded: Iterable<string>): LatencyHistogram {
    const merged = new LatencyHistogram();
    for (const text of encoded) {
      if (text === '') continue;
      const decoded = decodeFromCompressedBase64(text, 32, false);
      merged.histogram.add(decoded);
    }
    return merged;
  }

  /** Record one age in milliseconds (fractions kept to the microsecond). */
  record(ageMs: number): void {
    if (Number.isNaN(ageMs)) throw new RangeError('latency is NaN');
    let us = Math.round(ageMs * 1000);
    if (us < 0) {
      this.negativeCount++;
      us = 0;
    } else if (us > HIGHEST_TRACKABLE_US) {
      this.overflowCount++;
      us = HIGHEST_TRACKABLE_US;
    }
    this.histogram.recordValue(us);
  }

  /** Record `receivedAt − ts` (both ms since the Unix epoch, same clock domain). */
  recordAge(receivedAt: number, ts: number): void {
    this.record(receivedAt - ts);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Ages below zero, recorded as 0: the clocks disagree (see client/clock.ts). */
  get negative(): number {
    return this.negativeCount;
  }

  /** Ages above an hour, recorded as an hour. */
  get overflow(): number {
    return this.overflowCount;
  }

  summary(): LatencySummaryMs {
    const h = this.histogram;
    const count = h.totalCount;
    if (count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    return {
      count,
      p50: h.getValueAtPercentile(50) / 1000,
      p90: h.getValueAtPercentile(90) / 1000,
      p99: h.getValueAtPercentile(99) / 1000,
      p999: h.getValueAtPercentile(99.9) / 1000,
      max: h.maxValue / 1000,
      mean: h.mean / 1000,
    };
  }

  /** The histogram (µs), compressed base64: travels in summary.json and merges without re-running. */
  encode(): string {
    return encodeIntoCompressedBase64(this.histogram);
  }

  /** Add another histogram's values (the negative and overflow counts too). */
  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
    this.negativeCount += other.negativeCount;
    this.overflowCount += other.overflowCount;
  }

  reset(): void {
    this.histogram.reset();
    this.negativeCount = 0;
    this.overflowCount = 0;
  }
}
