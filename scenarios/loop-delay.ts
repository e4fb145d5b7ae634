/**
 * Event-loop delay, the runner's own queueing: `monitorEventLoopDelay` samples a timer every
 * LOOP_RESOLUTION_MS and records the whole period (period + lag); this keeps the lag, in ms.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

const LOOP_RESOLUTION_MS = 10;

export function loopDelayMonitor(): IntervalHistogram {
  return monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
}

export function loopDelayMs(h: IntervalHistogram): { p50: number; p99: number; max: number } {
  const lag = (ns: number) => (h.count === 0 ? 0 : Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS));
  return { p50: lag(h.percentile(50)), p99: lag(h.percentile(99)), max: lag(h.max) };
}
