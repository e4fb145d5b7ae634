/**
 * The network models (contract/network-models.ts): long polling's age distribution, and the band in
 * which the median of n measured ages falls if they follow it. Pure arithmetic, checked against
 * hand-computed values and against draws from the distribution itself.
 */
import { describe, expect, it } from 'vitest';
import {
  longPollQuantileMs,
  type ModelInput,
  modelMedianBandMs,
  modelP50Ms,
  nearModel,
  pollRoundTripMs,
  shortPollQuantileMs,
} from '../../contract/network-models.js';
import { resolveNetwork } from '../../contract/networks.js';
import { seededRandom } from '../../tools/shaper.js';

const at = (profile: string, rate: number): ModelInput => ({
  network: resolveNetwork(profile),
  rate,
  messageBytes: 256,
  pollIntervalMs: 1_000,
});

describe('long-poll model', () => {
  it('is R/2 for the held share 1 − f and uniform over R/2…3R/2 above it', () => {
    const m = at('4g', 10);
    const r = pollRoundTripMs(m);
    const lambdaR = (10 / 1000) * r;
    const f = lambdaR / (lambdaR + Math.exp(-lambdaR));
    expect(longPollQuantileMs(m, 0)).toBeCloseTo(r / 2, 9);
    expect(longPollQuantileMs(m, 1 - f)).toBeCloseTo(r / 2, 9);
    expect(longPollQuantileMs(m, 1)).toBeCloseTo((3 * r) / 2, 9);
    // The median: R/2 + R·(f − ½)/f (f ≈ 0.59 on 4g at 10 msg/s).
    expect(modelP50Ms('long-poll', m)).toBeCloseTo(r / 2 + (r * (f - 0.5)) / f, 9);
    expect(modelP50Ms('long-poll', m)).toBeCloseTo(45.8, 1);
  });

  it('moves with the rate the window had: 99 or 128 messages in 12 s put the 4g median 12 ms apart', () => {
    expect(modelP50Ms('long-poll', at('4g', 99 / 12))).toBeCloseTo(36.6, 1);
    expect(modelP50Ms('long-poll', at('4g', 128 / 12))).toBeCloseTo(48.4, 1);
  });
});

describe('short-poll model', () => {
  it('is uniform over R/2…T + 3R/2: the server looks every T + R, then the answer comes down', () => {
    const m = at('3g', 0.25);
    const r = pollRoundTripMs(m);
    expect(shortPollQuantileMs(m, 0)).toBeCloseTo(r / 2, 9);
    expect(shortPollQuantileMs(m, 1)).toBeCloseTo(1_000 + (3 * r) / 2, 9);
    expect(modelP50Ms('short-poll', m)).toBeCloseTo(1_000 / 2 + r, 9);
  });

  it('has a band of ±(T + R)/√n around its median: on a quiet feed (~100 ages) about ±10 % of T + R', () => {
    const m = at('3g', 0.25);
    const r = pollRoundTripMs(m);
    const band = modelMedianBandMs('short-poll', m, 100);
    expect(band.high - modelP50Ms('short-poll', m)).toBeCloseTo((1_000 + r) / 10, 9);
    expect(modelP50Ms('short-poll', m) - band.low).toBeCloseTo((1_000 + r) / 10, 9);
  });
});

describe('the median band', () => {
  it('is one value for a transport whose model is one value', () => {
    for (const t of ['sse', 'websocket'] as const) {
      const band = modelMedianBandMs(t, at('4g', 10), 500);
      expect(band.low).toBe(modelP50Ms(t, at('4g', 10)));
      expect(band.high).toBe(band.low);
    }
  });

  it('holds the long-poll median, narrows as n grows, and is empty without ages', () => {
    const m = at('4g', 10);
    const p50 = modelP50Ms('long-poll', m);
    const wide = modelMedianBandMs('long-poll', m, 100);
    const narrow = modelMedianBandMs('long-poll', m, 10_000);
    expect(wide.low).toBeLessThan(p50);
    expect(wide.high).toBeGreaterThan(p50);
    expect(narrow.high - narrow.low).toBeLessThan((wide.high - wide.low) / 5);
    expect(modelMedianBandMs('long-poll', m, 0)).toEqual({ low: p50, high: p50 });
  });

  it('holds the median of n draws from the model about 95 % of the time', () => {
    const m = at('4g', 10);
    const random = seededRandom(20261130);
    const draw = () => longPollQuantileMs(m, random());
    const n = 500;
    const band = modelMedianBandMs('long-poll', m, n);
    let inside = 0;
    const trials = 400;
    for (let i = 0; i < trials; i++) {
      const ages = Array.from({ length: n }, draw).sort((a, b) => a - b);
      const median = ((ages[n / 2 - 1] as number) + (ages[n / 2] as number)) / 2;
      if (median >= band.low && median <= band.high) inside += 1;
    }
    expect(inside / trials).toBeGreaterThan(0.9);
    expect(inside / trials).toBeLessThan(0.995);
  });

  it('nearModel accepts inside the band, and otherwise within 10 % or 5 ms', () => {
    const band = { low: 43, high: 54 };
    expect(nearModel(52.2, 45.8, band)).toBe(true);
    expect(nearModel(52.2, 45.8)).toBe(false);
    expect(nearModel(60, 45.8, band)).toBe(false);
    expect(nearModel(3, 0)).toBe(true);
    expect(nearModel(148, 144)).toBe(true);
  });
});
