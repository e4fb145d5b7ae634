/**
 * Clock-offset estimation against `GET /api/time` (Cristian's algorithm, NTP style).
 *
 * Event age is `receivedAt − ts`, with `ts` stamped by the server's clock. In Node on the same
 * machine both clocks are `performance.timeOrigin + performance.now()`; a browser (or another
 * machine) has its own clock, so we estimate the offset and show it beside the numbers.
 *
 * For one sample: t0 = local send time, t1 = local time the answer is read, rtt = t1 − t0,
 * server time `now` was taken somewhere in between; assuming symmetric paths, at the local
 * midpoint (t0 + t1) / 2. Hence
 *
 *   offset = serverNow − (t0 + t1) / 2          (= serverNow + rtt/2 − t1)
 *
 * and its error is at most ±rtt/2, which is why the sample with the lowest round trip wins.
 */
import type { FetchLike } from './transports/types.js';

export interface ClockSample {
  /** Local send and receive times, ms. */
  t0: number;
  t1: number;
  /** The server's `now`, ms since the Unix epoch. */
  serverNow: number;
  rttMs: number;
  offsetMs: number;
}

export interface ClockEstimate {
  /** server − local, ms: add it to a local timestamp to get server time. */
  offsetMs: number;
  /** Round trip of the chosen sample; the offset is good to ±rttMs/2. */
  rttMs: number;
  samples: ClockSample[];
}

export interface EstimateOffsetOptions {
  /** The local clock, ms since the Unix epoch. Default `performance.timeOrigin + performance.now()`. */
  now?: () => number;
  signal?: AbortSignal;
}

export function defaultNow(): number {
  return performance.timeOrigin + performance.now();
}

export class ClockError extends Error {
  override readonly name = 'ClockError';
}

export async function estimateOffset(
  fetch: FetchLike,
  baseUrl: string,
  samples = 8,
  options: EstimateOffsetOptions = {},
): Promise<ClockEstimate> {
  if (!Number.isInteger(samples) || samples < 1)
    throw new RangeError(`samples must be a positive integer, got ${samples}`);
  const now = options.now ?? defaultNow;
  const url = new URL('/api/time', baseUrl).toString();
  const taken: ClockSample[] = [];
  // One after another: concurrent requests would queue behind each other and skew the round trips.
  for (let i = 0; i < samples; i++) {
    const t0 = now();
    const response = await fetch(url, { signal: options.signal, cache: 'no-store' });
    const text = await response.text();
    const t1 = now();
    if (response.status !== 200) throw new ClockError(`GET /api/time answered ${response.status}`);
    const serverNow = parseServerNow(text);
    taken.push({ t0, t1, serverNow, rttMs: t1 - t0, offsetMs: serverNow - (t0 + t1) / 2 });
  }
  let best = taken[0] as ClockSample;
  for (const sample of taken) if (sample.rttMs < best.rttMs) best = sample;
  return { offsetMs: best.offsetMs, rttMs: best.rttMs, samples: taken };
}

function parseServerNow(text: string): number {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ClockError(`GET /api/time did not answer JSON: ${text.slice(0, 80)}`);
  }
  const value = typeof body === 'object' && body !== null ? (body as { now?: unknown }).now : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ClockError(`GET /api/time answered no numeric "now": ${text.slice(0, 80)}`);
  return value;
}
