/**
 * A runtime check of summary.json against the schema in scenarios/summary.ts (the same TypeBox
 * schema its types come from): every field present and of its type, numbers finite. It lists every problem with its path, so a broken
 * summary says all that is wrong at once. Used by the tests; usable on any results folder:
 *
 *   npx tsx scenarios/validate.ts results/smoke/<timestamp>/summary.json
 */
import { readFileSync } from 'node:fs';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { type Summary, SummarySchema } from './summary.js';

/** JSON pointer `/transports/sse/latencyMs/p99` → `summary.transports.sse.latencyMs.p99` (array items `[i]`). */
function pathOf(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, key) => (/^\d+$/.test(key) ? `${path}[${key}]` : `${path}.${key}`), 'summary');
}

/** The words the schema itself carries (scenarios/summary.ts puts `expected`, `tooFew`, `unknownKey` on it). */
function words(error: ValueError, key: 'expected' | 'tooFew' | 'unknownKey'): string {
  const text: unknown = error.schema[key];
  return typeof text === 'string' ? text : error.message;
}

function describe(error: ValueError): string | null {
  const path = pathOf(error.path);
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${path}: missing`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `${path}: ${words(error, 'unknownKey')}`;
    case ValueErrorType.ArrayMinItems:
    case ValueErrorType.ObjectMinProperties:
      return `${path}: expected ${words(error, 'tooFew')}`;
    default:
      // A missing property is also visited with `undefined`: said once, as "missing", above.
      if (error.value === undefined) return null;
      return `${path}: expected ${words(error, 'expected')}, got ${JSON.stringify(error.value)}`;
  }
}

/**
 * Every problem found, with its JSON path (`summary.transports.sse.latencyMs.p99: missing`), in the
 * schema's order: missing fields of an object first, then its fields one by one.
 */
export function validateSummary(value: unknown): string[] {
  const problems = Value.Check(SummarySchema, value)
    ? []
    : [...Value.Errors(SummarySchema, value)].map(describe).filter((text): text is string => text !== null);
  // Transports may be empty only in a protocol comparison (h1-vs-h2), a scale-out run or a storm, whose
  // figures are in `protocols` / `scaleOut` / `storm`.
  const v = value as { transports?: unknown; protocols?: unknown; scaleOut?: unknown; storm?: unknown } | null;
  const transports = typeof v === 'object' && v !== null ? v.transports : undefined;
  if (
    typeof transports === 'object' &&
    transports !== null &&
    Object.keys(transports).length === 0 &&
    v?.protocols === undefined &&
    v?.scaleOut === undefined &&
    v?.storm === undefined
  )
    problems.push('summary.transports: expected at least one transport');
  return problems;
}

export class SummaryError extends Error {
  override readonly name = 'SummaryError';
  constructor(readonly problems: string[]) {
    super(`summary.json does not match scenarios/summary.ts:\n  ${problems.join('\n  ')}`);
  }
}

export function assertSummary(value: unknown): asserts value is Summary {
  const problems = validateSummary(value);
  if (problems.length > 0) throw new SummaryError(problems);
}

// As a script: validate the files given.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    const problems = validateSummary(JSON.parse(readFileSync(file, 'utf8')));
    failed += problems.length > 0 ? 1 : 0;
    process.stdout.write(problems.length === 0 ? `✓ ${file}\n` : `✗ ${file}\n  ${problems.join('\n  ')}\n`);
  }
  process.exitCode = failed > 0 ? 1 : 0;
}
