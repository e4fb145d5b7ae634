/**
 * `--repeat N`: N runs of one scenario combined into one summary (scenarios/README.md, "Repeated runs").
 *
 * The combined summary has the shape of a single run's, so every table, chart and lab-book placeholder
 * reads it unchanged: each number is the MEAN over the runs (a count's mean rounded to an integer, as the
 * schema wants counts). Beside it, `repeat` holds what a mean hides: every run's own summary (`perRun`),
 * and trees of the same shape as the summary with, at each number, the unrounded mean, the sample
 * standard deviation (n − 1) and the smallest and largest run (`repeat.mean`, `.sd`, `.min`, `.max`).
 * A ratio (requests per message, bytes per message) is the mean of the runs' ratios; a percentile is the
 * mean of the runs' percentiles; `latencyMs.histogram` is the runs' HDR histograms merged (every age of
 * every run pooled), so its own percentiles can be read beside the mean of the runs'.
 */
import type { TSchema } from '@sinclair/typebox';
import { LatencyHistogram } from '../client/latency.js';
import { type Summary, SummarySchema } from './summary.js';

export interface RepeatReport {
  runs: number;
  /** What `sd` is. */
  spread: 'sample standard deviation (n − 1)';
  mean: Record<string, unknown>;
  sd: Record<string, unknown>;
  min: Record<string, unknown>;
  max: Record<string, unknown>;
  /** Every run's own summary, in the order they ran. */
  perRun: Summary[];
}

type Stat = 'mean' | 'sd' | 'min' | 'max';

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

function statOf(stat: Stat, values: number[]): number {
  if (stat === 'mean') return mean(values);
  if (stat === 'sd') return sampleSd(values);
  return stat === 'min' ? Math.min(...values) : Math.max(...values);
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The schema of a property: named, or the record's value schema. */
function childSchema(schema: TSchema | undefined, key: string): TSchema | undefined {
  if (!schema) return undefined;
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (props && key in props) return props[key];
  const patterns = (schema as { patternProperties?: Record<string, TSchema> }).patternProperties;
  return patterns ? Object.values(patterns)[0] : undefined;
}

/**
 * Combines the same place in every run. `stat` null: the summary's own value (the mean, counts rounded);
 * otherwise the tree of that statistic, numbers only. Where the runs disagree in shape (an array of a
 * different length, a key one run lacks), the arrays are cut to the shortest and a missing key is left out
 * of the statistics; text, flags and opaque objects come from the first run.
 */
function combine(schema: TSchema | undefined, values: unknown[], stat: Stat | null): unknown {
  const first = values[0];
  if (values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const numbers = values as number[];
    if (stat !== null) return statOf(stat, numbers);
    const m = mean(numbers);
    return (schema as { type?: string } | undefined)?.type === 'integer' ? Math.round(m) : m;
  }
  if (values.every(Array.isArray)) {
    const arrays = values as unknown[][];
    const length = Math.min(...arrays.map((a) => a.length));
    const items = (schema as { items?: TSchema } | undefined)?.items;
    const out = Array.from({ length }, (_, i) =>
      combine(
        items,
        arrays.map((a) => a[i]),
        stat,
      ),
    );
    return stat === null || out.some((x) => x !== undefined) ? out : undefined;
  }
  if (values.every(isRecord)) {
    const records = values as Record<string, unknown>[];
    const opaque =
      schema !== undefined &&
      (schema as { properties?: object }).properties === undefined &&
      (schema as { patternProperties?: object }).patternProperties === undefined &&
      (schema as { type?: string }).type === 'object';
    if (opaque) return stat === null ? first : undefined;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(records[0] as Record<string, unknown>)) {
      const column = records.map((r) => r[key]);
      if (key === 'histogram' && column.every((v) => typeof v === 'string')) {
        if (stat === null) out[key] = LatencyHistogram.decodeAndMerge(column as string[]).encode();
        continue;
      }
      if (column.some((v) => v === undefined)) {
        if (stat === null) out[key] = column[0];
        continue;
      }
      const value = combine(childSchema(schema, key), column, stat);
      if (value !== undefined) out[key] = value;
    }
    return stat === null || Object.keys(out).length > 0 ? out : undefined;
  }
  return stat === null ? first : undefined;
}

/** The expectations of every run, one line each: met only when met in every run. */
function combinedExpectations(runs: Summary[]): Summary['expectations'] {
  const first = runs[0] as Summary;
  return first.expectations.map((e, i) => {
    const each = runs.map((r) => r.expectations[i]);
    return {
      text: e.text,
      pass: each.every((x) => x?.pass === true),
      detail: each.map((x, n) => `run ${n + 1}: ${x?.pass ? '✓' : '✗'} ${x?.detail ?? ''}`.trim()).join(' | '),
    };
  });
}

/** The numbers the summary's tables and charts read: every part of the summary that is measured. */
const MEASURED = ['durationMs', 'transports', 'sweep', 'server', 'groups', 'runner', 'publisher', 'capacity'] as const;

/** N runs of one scenario (same settings, in order) → one summary of their means plus `repeat`. */
export function combineRuns(runs: Summary[]): Summary & { repeat: RepeatReport } {
  const first = runs[0];
  if (!first || runs.length < 2) throw new Error(`combineRuns: needs at least 2 runs, got ${runs.length}`);
  if (runs.some((r) => r.scenario !== first.scenario)) throw new Error('combineRuns: runs of different scenarios');
  const whole = runs as unknown as Record<string, unknown>[];
  const pick = (stat: Stat | null) => {
    const out: Record<string, unknown> = {};
    for (const key of MEASURED) {
      const column = whole.map((r) => r[key]);
      if (column.some((v) => v === undefined)) continue;
      const value = combine(childSchema(SummarySchema, key), column, stat);
      if (value !== undefined) out[key] = value;
    }
    return out;
  };
  return {
    ...first,
    ...(pick(null) as Partial<Summary>),
    description: `${first.description} Mean of ${runs.length} runs.`,
    params: { ...first.params, repeat: runs.length },
    expectations: combinedExpectations(runs),
    repeat: {
      runs: runs.length,
      spread: 'sample standard deviation (n − 1)',
      mean: pick('mean'),
      sd: pick('sd'),
      min: pick('min'),
      max: pick('max'),
      perRun: runs,
    },
  };
}

/** The spread of the number at `path` (dots) of a repeated summary, or null when it has none. */
export function spreadAt(
  summary: Summary,
  path: string,
): { mean: number; sd: number; min: number; max: number; runs: number[] } | null {
  const repeat = (summary as { repeat?: RepeatReport }).repeat;
  if (!repeat) return null;
  const at = (root: unknown) =>
    path
      .split('.')
      .reduce<unknown>((node, key) => (isRecord(node) || Array.isArray(node) ? (node as never)[key] : undefined), root);
  const [m, sd, min, max] = [at(repeat.mean), at(repeat.sd), at(repeat.min), at(repeat.max)];
  if (![m, sd, min, max].every((v) => typeof v === 'number')) return null;
  const runs = repeat.perRun.map((r) => at(r)).filter((v): v is number => typeof v === 'number');
  return { mean: m as number, sd: sd as number, min: min as number, max: max as number, runs };
}

/** The terminal's view of a repeated run: the figures a lab quotes, as mean ± SD and each run's value. */
export function repeatNote(summary: Summary): string {
  const repeat = (summary as { repeat?: RepeatReport }).repeat;
  if (!repeat) return '';
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  const figures = [
    ['p50 ms', 'latencyMs.p50'],
    ['p99 ms', 'latencyMs.p99'],
    ['req/msg', 'requestsPerMessage'],
    ['bytes/msg', 'bytesPerMessage'],
  ] as const;
  const lines = [`\nSpread over ${repeat.runs} runs (mean ± sample SD; each run in brackets; summary.json: repeat)`];
  for (const t of Object.keys(summary.transports)) {
    const cells = figures.map(([label, path]) => {
      const s = spreadAt(summary, `transports.${t}.${path}`);
      return s ? `${label} ${fmt(s.mean)} ± ${fmt(s.sd)} [${s.runs.map(fmt).join(', ')}]` : '';
    });
    lines.push(`${t.padEnd(11)} ${cells.filter((c) => c !== '').join(' · ')}`);
  }
  return `${lines.join('\n')}\n`;
}
