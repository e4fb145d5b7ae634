/**
 * Repeated runs (`npm run scenario -- <name> --repeat N`, scenarios/repeat.ts) and how the lab book quotes
 * them: the combined summary's means, spreads and per-run figures, the charts' error bars, and the
 * `{{pm:…}}` / `{{runs:…}}` placeholders (docs/lessons/README.md). Built from the committed quiet-feed
 * reference, three copies with known changes, so every expected number is computed here by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../client/latency.js';
import { chartConfigs } from '../../scenarios/render/charts/index.js';
import { combineRuns, sampleSd } from '../../scenarios/repeat.js';
import type { Summary } from '../../scenarios/summary.js';
import { validateSummary } from '../../scenarios/validate.js';
import { numberFor, parsePlaceholder, ROOT, rememberSummary, substitute } from '../../scripts/lessons/render.js';

const latest = JSON.parse(readFileSync(`${ROOT}results/quiet-feed/latest.json`, 'utf8')) as { summary: string };
const committed = JSON.parse(readFileSync(`${ROOT}results/quiet-feed/${latest.summary}`, 'utf8')) as Summary & {
  repeat?: { perRun: Summary[] };
};
/** One run: the committed reference itself, or its first run when it is already a repeat. */
const base = committed.repeat?.perRun[0] ?? committed;

/** A copy of the reference with short-poll's p50, requests and one expectation changed. */
function run(p50: number, requests: number, pass: boolean): Summary {
  const copy = structuredClone(base);
  const poll = copy.transports['short-poll'];
  if (!poll) throw new Error('the quiet-feed reference has no short-poll');
  poll.latencyMs.p50 = p50;
  poll.requests = requests;
  const first = copy.expectations[0];
  if (first) first.pass = pass;
  return copy;
}

const runs = [run(400, 1000, true), run(500, 1001, true), run(600, 1003, false)];
const combined = combineRuns(runs);

describe('combineRuns', () => {
  it('puts the mean of every number where a single run has it, counts rounded, and keeps the shape', () => {
    expect(combined.transports['short-poll']?.latencyMs.p50).toBe(500);
    // (1000 + 1001 + 1003) / 3 = 1001.33…: a count stays a whole number in the summary itself
    expect(combined.transports['short-poll']?.requests).toBe(1001);
    expect(combined.repeat.mean).toMatchObject({ transports: { 'short-poll': { requests: 3004 / 3 } } });
    expect(validateSummary(JSON.parse(JSON.stringify(combined)))).toEqual([]);
  });

  it('gives the sample standard deviation, min, max and every run', () => {
    const sd = combined.repeat.sd as { transports: Record<string, { latencyMs: { p50: number } }> };
    expect(sd.transports['short-poll']?.latencyMs.p50).toBeCloseTo(100, 10);
    expect(sampleSd([400, 500, 600])).toBeCloseTo(100, 10);
    expect(combined.repeat.min).toMatchObject({ transports: { 'short-poll': { latencyMs: { p50: 400 } } } });
    expect(combined.repeat.max).toMatchObject({ transports: { 'short-poll': { latencyMs: { p50: 600 } } } });
    expect(combined.repeat.perRun.map((r) => r.transports['short-poll']?.requests)).toEqual([1000, 1001, 1003]);
    expect(combined.params.repeat).toBe(3);
  });

  it('merges the runs’ latency histograms: the pooled one holds every age of every run', () => {
    const count = (encoded: string | undefined) => LatencyHistogram.decodeAndMerge([encoded ?? '']).summary().count;
    const one = count(base.transports.sse?.latencyMs.histogram);
    expect(one).toBeGreaterThan(0);
    expect(count(combined.transports.sse?.latencyMs.histogram)).toBe(3 * one);
  });

  it('meets an expectation only when every run met it, and says each run’s verdict', () => {
    const first = combined.expectations[0];
    expect(first?.pass).toBe(false);
    expect(first?.detail).toContain('run 1: ✓');
    expect(first?.detail).toContain('run 3: ✗');
  });

  it('refuses one run and runs of different scenarios', () => {
    expect(() => combineRuns([base])).toThrow('at least 2');
    expect(() => combineRuns([base, { ...base, scenario: 'other' }])).toThrow('different scenarios');
  });
});

describe('error bars', () => {
  it('put mean ± SD and each run’s value on the repeated charts, none on a single run’s', () => {
    const latency = chartConfigs(combined).find((c) => c.file === 'latency-percentiles.png');
    const poll = latency?.config.data.datasets.find((d) => d.label === 'short-poll') as unknown as {
      errorBars: ({ lo: number; hi: number; runs: number[] } | null)[];
    };
    expect(poll.errorBars[0]).toEqual({ lo: 400, hi: 600, runs: [400, 500, 600] });
    const single = chartConfigs(base).find((c) => c.file === 'latency-percentiles.png');
    const plain = single?.config.data.datasets[0] as unknown as { errorBars: unknown[] };
    expect(plain.errorBars.every((e) => e === null)).toBe(true);
    expect(JSON.stringify(latency?.config.options)).toContain('mean of 3 runs');
  });
});

describe('placeholders for a repeated reference', () => {
  rememberSummary('repeat-test', combined);

  it('parses pm and runs, and refuses them malformed', () => {
    expect(parsePlaceholder('pm:quiet-feed:transports.sse.latencyMs.p50:1')).toMatchObject({
      kind: 'pm',
      scenario: 'quiet-feed',
      path: 'transports.sse.latencyMs.p50',
      decimals: 1,
    });
    expect(parsePlaceholder('runs:x:a.b:0').kind).toBe('runs');
    expect(() => parsePlaceholder('pm:x:a.b')).toThrow('expected pm:<scenario>');
  });

  it('renders mean ± SD and each run, from the unrounded figures', () => {
    expect(substitute('p50 {{pm:repeat-test:transports.short-poll.latencyMs.p50:0}} ms', 'test')).toBe(
      'p50 500 ± 100 ms',
    );
    expect(substitute('{{pm:repeat-test:transports.short-poll.requests:1}}', 'test')).toBe('1,001.3 ± 1.5');
    expect(substitute('{{runs:repeat-test:transports.short-poll.requests:0}}', 'test')).toBe('1,000, 1,001 and 1,003');
    expect(numberFor(parsePlaceholder('pm:repeat-test:transports.short-poll.latencyMs.p50:0'))).toBe(500);
  });

  it('fails for a path with no number and for a single run', () => {
    expect(() => substitute('{{pm:repeat-test:transports.nope.p50:0}}', 'x')).toThrow('not a number');
    rememberSummary('single-test', base);
    expect(() => substitute('{{pm:single-test:transports.sse.latencyMs.p50:0}}', 'x')).toThrow('single run');
  });
});
