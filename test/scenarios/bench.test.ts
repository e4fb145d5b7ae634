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
