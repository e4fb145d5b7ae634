import { describe, expect, it } from 'vitest';
import { ClockError, estimateOffset } from '../../client/clock.js';
import type { FetchLike } from '../../client/transports/types.js';

/**
 * A fake world: one local clock we advance by hand, a server clock `offset` ms ahead of it,
 * and per-request (up, down) delays. The server stamps `now` when the request arrives.
 */
function fakeServer(offset: number, delays: Array<[up: number, down: number]>) {
  let local = 1_000_000;
  const urls: string[] = [];
  let i = 0;
  const fetch: FetchLike = async (url) => {
    urls.push(url);
    const [up, down] = delays[i++ % delays.length] as [number, number];
    local += up;
    const serverNow = local + offset;
    local += down;
    return { status: 200, text: async () => JSON.stringify({ now: serverNow }) };
  };
  return { fetch, now: () => local, urls };
}

describe('estimateOffset', () => {
  it('finds the exact offset when the path is symmetric', async () => {
    const world = fakeServer(250, [[5, 5]]);
    const estimate = await estimateOffset(world.fetch, 'http://127.0.0.1:3000', 4, { now: world.now });
    expect(estimate.offsetMs).toBe(250);
    expect(estimate.rttMs).toBe(10);
    expect(estimate.samples).toHaveLength(4);
    expect(world.urls[0]).toBe('http://127.0.0.1:3000/api/time');
  });

  it('handles a server behind the client (negative offset)', async () => {
    const world = fakeServer(-1234.5, [[2, 2]]);
    const estimate = await estimateOffset(world.fetch, 'http://h:1', 3, { now: world.now });
    expect(estimate.offsetMs).toBe(-1234.5);
  });

  it('takes the sample with the lowest round trip', async () => {
    // Asymmetric slow samples would skew the offset by (up − down) / 2; the fast one is exact.
    const world = fakeServer(100, [
      [80, 10],
      [10, 60],
      [1, 1],
      [30, 5],
    ]);
    const estimate = await estimateOffset(world.fetch, 'http://h:1', 4, { now: world.now });
    expect(estimate.rttMs).toBe(2);
    expect(estimate.offsetMs).toBe(100);
    expect(estimate.samples.map((s) => s.rttMs)).toEqual([90, 70, 2, 35]);
    // The error of each sample is bounded by its half round trip.
    for (const sample of estimate.samples)
      expect(Math.abs(sample.offsetMs - 100)).toBeLessThanOrEqual(sample.rttMs / 2);
  });

  it('runs the samples one after another', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const fetch: FetchLike = async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return { status: 200, text: async () => '{"now": 1}' };
    };
    await estimateOffset(fetch, 'http://h:1', 5);
    expect(maxInFlight).toBe(1);
  });

  it('fails clearly on a bad answer', async () => {
    const status500: FetchLike = async () => ({ status: 500, text: async () => '{}' });
    await expect(estimateOffset(status500, 'http://h:1', 1)).rejects.toThrow(ClockError);
    const notJson: FetchLike = async () => ({ status: 200, text: async () => '<html>' });
    await expect(estimateOffset(notJson, 'http://h:1', 1)).rejects.toThrow(/did not answer JSON/);
    const noNow: FetchLike = async () => ({ status: 200, text: async () => '{"time": 5}' });
    await expect(estimateOffset(noNow, 'http://h:1', 1)).rejects.toThrow(/no numeric "now"/);
  });

  it('refuses a sample count below one', async () => {
    const fetch: FetchLike = async () => ({ status: 200, text: async () => '{"now": 1}' });
    await expect(estimateOffset(fetch, 'http://h:1', 0)).rejects.toThrow(RangeError);
  });
});
