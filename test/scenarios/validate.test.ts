/** The summary.json validator: passes the renderers' fixtures, names every broken field. */
import { describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../../contract/index.js';
import type { LatencySummary, Summary } from '../../scenarios/summary.js';
import { assertSummary, SummaryError, validateSummary } from '../../scenarios/validate.js';
import { plainSummary, sweepSummary } from '../fixtures/summaries.js';

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('validateSummary', () => {
  it('accepts well-formed summaries, plain and sweep', () => {
    expect(validateSummary(clone(plainSummary))).toEqual([]);
    expect(validateSummary(clone(sweepSummary))).toEqual([]);
  });

  it('names each missing or mistyped field by its path', () => {
    const broken: Partial<Summary> = clone(plainSummary);
    const transports = broken.transports as Summary['transports'];
    delete (transports.sse!.latencyMs as Partial<LatencySummary>).p99;
    (transports.websocket as unknown as { lost: unknown }).lost = 'none';
    (broken.server as unknown as { cpuMs: unknown }).cpuMs = null; // what NaN becomes in JSON
    delete broken.startedAt;
    expect(validateSummary(broken)).toEqual([
      'summary.startedAt: missing',
      'summary.transports.sse.latencyMs.p99: missing',
      'summary.transports.websocket.lost: expected a count (integer ≥ 0), got "none"',
      'summary.server.cpuMs: expected a finite number, got null',
    ]);
  });

  it('refuses a transport that does not exist, and an empty run', () => {
    const s = clone(plainSummary) as unknown as { transports: Record<string, unknown> };
    s.transports.carrier = s.transports.sse;
    expect(validateSummary(s)).toContain(
      `summary.transports.carrier: not a transport (expected one of ${TRANSPORTS.join(', ')})`,
    );
    s.transports = {};
    expect(validateSummary(s)).toContain('summary.transports: expected at least one transport');
  });

  it('assertSummary throws all the problems at once', () => {
    expect(() => assertSummary({})).toThrow(SummaryError);
    expect(() => assertSummary({})).toThrow(/summary\.scenario: missing[\s\S]*summary\.expectations: missing/);
  });
});
