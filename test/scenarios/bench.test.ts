/**
 * The benchmark's arithmetic (scenarios/bench/): ratios per round from the same round, their
 * median and spread, the goal check, the load generator flag, and wrk's output parsed. Pure
 * functions on made-up measurements: the benchmark itself is a script, never a test.
 */
import { describe, expect, it } from 'vitest';
import { computeRows, median, ROW_DEFS } from '../../scenarios/bench/rows.js';
import type { Measurement } from '../../scenarios/bench/summary.js';
import { parseWrk } from '../../scenarios/bench/wrk.js';

const load = (round: number, server: Measurement['server'], serverCpuMs: number, clientCpuMs = 100): Measurement => ({
  round,
  server,
  phase: 'websocket load',
  clients: 500,
  seconds: 2,
  serverCpuMs,
  clientCpuMs,
  deliveries: 1_000,
  errors: 0,
});

describe('bench rows', () => {
  it('divides each round by the baseline of the same round, then takes the median and spread', () => {
    const measurements = [
      load(1, 'lab', 100),
      load(1, 'bare ws', 100),
      load(2, 'lab', 90),
      load(2, 'bare ws', 100),
      load(3, 'lab', 300), // a noisy round: the median ignores it
      load(3, 'bare ws', 100),
    ];
    const row = computeRows(measurements).find((r) => r.id === 'websocket-cpu');
    expect(row?.ratios).toEqual([1, 0.9, 3]);
    expect(row?.ratio).toEqual({ median: 1, min: 0.9, max: 3 });
    expect(row?.pass).toBe(true); // goal ≤ 1.00×
    expect(row?.lab).toBe(100); // µs per delivery, median
    expect(row?.generator.bound).toBe(false);
  });

  it('flags the load generator when it used most of its core', () => {
    const measurements = [load(1, 'lab', 100, 1_900), load(1, 'bare ws', 100, 1_900)];
    const row = computeRows(measurements).find((r) => r.id === 'websocket-cpu');
    expect(row?.generator.cpuShare).toBeCloseTo(0.95);
    expect(row?.generator.bound).toBe(true);
  });

  it('a row with no measurements fails rather than passing silently', () => {
    const rows = computeRows([]);
    expect(rows).toHaveLength(ROW_DEFS.length);
    expect(rows.every((r) => !r.pass)).toBe(true);
  });

  it('the RSS row reads resident memory in use: V8’s free heap pages out, its live objects in', () => {
    const idle = (server: Measurement['server'], rss: number, heapResident: number, heap: number): Measurement => ({
      round: 1,
      server,
      phase: 'websocket idle',
      clients: 1_000,
      seconds: 0,
      serverCpuMs: 0,
      clientCpuMs: 0,
      deliveries: 0,
      rssBeforeBytes: 100e6,
      heapResidentBeforeBytes: 60e6,
      heapBeforeBytes: 24e6,
      rssIdleBytes: 100e6 + rss,
      heapResidentIdleBytes: 60e6 + heapResident,
      heapIdleBytes: 24e6 + heap,
      errors: 0,
    });
    // The lab filled 5 MB of free V8 pages (RSS grew by 1 MB: native only); bare ws grew its heap by whole pages.
    const rows = computeRows([idle('lab', 1e6, 0, 5e6), idle('bare ws', 4e6, 3e6, 2.5e6)]);
    const rss = rows.find((r) => r.id === 'websocket-rss');
    expect(rss?.lab).toBe(6_000); // 1 MB − 0 + 5 MB over 1 000
    expect(rss?.base).toBe(3_500); // 4 MB − 3 MB + 2.5 MB
    expect(rss?.ratios).toEqual([6_000 / 3_500]);
    expect(rows.find((r) => r.id === 'websocket-heap')?.ratios).toEqual([2]);
    // A reading that shrank (a trim) is no signal, never a ratio of 0 or less.
    expect(
      computeRows([idle('lab', -4e6, 0, 1e6), idle('bare ws', 4e6, 3e6, 2.5e6)]).find((r) => r.id === 'websocket-rss')
        ?.ratios,
    ).toEqual([Number.NaN]);
  });

  it('median of an even count is the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
  });
});

describe('wrk output', () => {
  it('reads the request count, the duration and every kind of error', () => {
    const output = `Running 2s test @ http://127.0.0.1:1/api/poll
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms  300.00us   5.00ms   90.00%
  21234 requests in 2.00s, 6.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:  10617.00
Transfer/sec:      3.00MB
`;
    expect(parseWrk(output)).toEqual({ requests: 21_234, seconds: 2, errors: 6 });
  });
});
