/** The summary.json schema and its validator: passes the fixtures and every committed reference run, names every broken field. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../../contract/index.js';
import { at, present } from '../../contract/present.js';
import { findScenario } from '../../scenarios/library/index.js';
import type { LatencySummary, Summary } from '../../scenarios/summary.js';
import { assertSummary, SummaryError, validateSummary } from '../../scenarios/validate.js';
import { ROOT } from '../../tools/child-process.js';
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

  it('looks into a group’s network and a classroom’s capacity (real schemas, not "an object")', () => {
    const file = join(ROOT, 'results/classroom');
    const run = present(
      readdirSync(file).find((name) => existsSync(join(file, name, 'summary.json'))),
      'a committed classroom run',
    );
    const s = JSON.parse(readFileSync(join(file, run, 'summary.json'), 'utf8')) as Summary;
    expect(validateSummary(s)).toEqual([]);
    const capacity = present(s.classCapacity, 'the classroom run has classCapacity');
    (capacity as unknown as { largestClass: unknown }).largestClass = 'lots';
    (at(capacity.verdicts, 0, 'a verdict').pageLoad as unknown as { reports: unknown }).reports = -1;
    const sse = present(s.transports.sse, 'the classroom run has an SSE lane');
    (present(sse.network, 'its network').shaper as unknown as { stalls: unknown }).stalls = 'none';
    expect(validateSummary(s)).toEqual([
      'summary.transports.sse.network.shaper.stalls: expected a finite number, got "none"',
      'summary.classCapacity.largestClass: expected a count or null, got "lots"',
      'summary.classCapacity.verdicts[0].pageLoad.reports: expected a count (integer ≥ 0), got -1',
    ]);
  });

  it('assertSummary throws all the problems at once', () => {
    expect(() => assertSummary({})).toThrow(SummaryError);
    expect(() => assertSummary({})).toThrow(/summary\.scenario: missing[\s\S]*summary\.expectations: missing/);
  });
});

describe('the summary.json schema against the committed results', () => {
  const root = join(ROOT, 'results');
  // Only the scenario runner's results: results/bench and the like keep their own formats.
  const files = readdirSync(root)
    .filter((name) => findScenario(name) !== undefined)
    .flatMap((name) =>
      readdirSync(join(root, name), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(root, name, entry.name, 'summary.json')))
        .map((entry) => join('results', name, entry.name, 'summary.json')),
    );
  const read = (file: string): unknown => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

  it('finds the reference runs', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)('accepts %s', (file) => {
    expect(validateSummary(read(file))).toEqual([]);
  });

  it('rejects a committed one broken, naming each break', () => {
    const broken = read(at(files, 0)) as Summary;
    const [first, second] = Object.values(broken.transports);
    delete (present(first, 'a transport').latencyMs as Partial<LatencySummary>).p99;
    (present(second, 'a second transport') as unknown as { delivered: unknown }).delivered = -3;
    (broken as unknown as { startedAt: unknown }).startedAt = '25 Nov 2026';
    (broken.transports as Record<string, unknown>).pigeon = {};
    const [firstName, secondName] = Object.keys(broken.transports);
    expect(validateSummary(broken)).toEqual([
      'summary.startedAt: expected an ISO-8601 UTC time, got "25 Nov 2026"',
      `summary.transports.pigeon: not a transport (expected one of ${TRANSPORTS.join(', ')})`,
      `summary.transports.${firstName}.latencyMs.p99: missing`,
      `summary.transports.${secondName}.delivered: expected a count (integer ≥ 0), got -3`,
    ]);
  });
});
