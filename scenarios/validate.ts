/**
 * A runtime check of summary.json against scenarios/summary.ts: every field
 * present and of its type, numbers finite. It lists every problem with its path, so a broken
 * summary says all that is wrong at once. Used by the tests; usable on any results folder:
 *
 *   npx tsx scenarios/validate.ts results/smoke/<timestamp>/summary.json
 */
import { readFileSync } from 'node:fs';
import { isTransportName, TRANSPORTS } from '../contract/index.js';
import type { Summary } from './summary.js';

type Check = (value: unknown, path: string, problems: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const num: Check = (v, path, p) => {
  if (typeof v !== 'number' || !Number.isFinite(v))
    p.push(`${path}: expected a finite number, got ${JSON.stringify(v)}`);
};
const count: Check = (v, path, p) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    p.push(`${path}: expected a count (integer ≥ 0), got ${JSON.stringify(v)}`);
};
const str: Check = (v, path, p) => {
  if (typeof v !== 'string') p.push(`${path}: expected a string, got ${JSON.stringify(v)}`);
};
const bool: Check = (v, path, p) => {
  if (typeof v !== 'boolean') p.push(`${path}: expected true or false, got ${JSON.stringify(v)}`);
};
const iso: Check = (v, path, p) => {
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v)) || !v.endsWith('Z'))
    p.push(`${path}: expected an ISO-8601 UTC time, got ${JSON.stringify(v)}`);
};
const anyObject: Check = (v, path, p) => {
  if (!isObject(v)) p.push(`${path}: expected an object`);
};

function shape(fields: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (v, path, p) => {
    if (!isObject(v)) {
      p.push(`${path}: expected an object, got ${JSON.stringify(v)}`);
      return;
    }
    for (const [key, check] of Object.entries(fields)) {
      if (!(key in v)) p.push(`${path}.${key}: missing`);
      else check(v[key], `${path}.${key}`, p);
    }
    for (const [key, check] of Object.entries(optional)) if (v[key] !== undefined) check(v[key], `${path}.${key}`, p);
  };
}

function list(item: Check, nonEmpty = false): Check {
  return (v, path, p) => {
    if (!Array.isArray(v)) {
      p.push(`${path}: expected an array`);
      return;
    }
    if (nonEmpty && v.length === 0) p.push(`${path}: expected at least one entry`);
    v.forEach((x, i) => {
      item(x, `${path}[${i}]`, p);
    });
  };
}

function record(item: Check): Check {
  return (v, path, p) => {
    if (!isObject(v)) {
      p.push(`${path}: expected an object`);
      return;
    }
    for (const [key, x] of Object.entries(v)) item(x, `${path}.${key}`, p);
  };
}

/** `transports`-like: keys are transport names only. */
function perTransport(item: Check, nonEmpty: boolean): Check {
  return (v, path, p) => {
    if (!isObject(v)) {
      p.push(`${path}: expected an object keyed by transport`);
      return;
    }
    const keys = Object.keys(v);
    if (nonEmpty && keys.length === 0) p.push(`${path}: expected at least one transport`);
    for (const key of keys) {
      if (!isTransportName(key)) p.push(`${path}.${key}: not a transport (expected one of ${TRANSPORTS.join(', ')})`);
      else item(v[key], `${path}.${key}`, p);
    }
  };
}

const latency = shape({ count, p50: num, p90: num, p99: num, p999: num, max: num, mean: num, histogram: str });
const cost = shape({ cpuMs: num, rssMaxBytes: count });

const transportFields = {
  clients: count,
  delivered: count,
  expected: count,
  lost: count,
  duplicates: count,
  reordered: count,
  resets: count,
  latencyMs: latency,
  requests: count,
  emptyResponses: count,
  bytesIn: count,
  bytesOut: count,
  server: shape({ bytesIn: count, bytesOut: count, requests: count, emptyResponses: count, messages: count }),
  payloadBytes: count,
  bytesPerMessage: num,
  payloadPerMessage: num,
  floorOverheadPerMessage: num,
  requestsPerMessage: num,
  timeline: list(num),
};
const transportOptional = {
  recoveryMs: num,
  countedMs: num,
  countedMessages: count,
  clientLoopDelayMs: shape({ p50: num, p99: num, max: num }),
  lostDetected: num,
  clientErrors: record(count),
  negativeAges: count,
  serverCost: shape({ cpuMs: num, rssMaxBytes: count, cpuUsPerDelivered: num }),
};
const transport = shape(transportFields, transportOptional);

const summaryCheck = shape(
  {
    scenario: str,
    description: str,
    params: anyObject,
    startedAt: iso,
    durationMs: num,
    machine: shape({ cpus: count, cpuModel: str, totalMemBytes: count, node: str, platform: str }),
    clock: str,
    // At least one, except in a protocol comparison (h1-vs-h2): checked in validateSummary.
    transports: perTransport(transport, false),
    server: shape({ cpuMs: num, rssMaxBytes: count, cpuUsPerDelivered: num }),
    phases: list(shape({ name: str, startMs: num, endMs: num, cpuMs: num, rssMaxBytes: count }), true),
    expectations: list(shape({ text: str, pass: bool }, { detail: str })),
  },
  {
    sweep: shape({
      parameter: str,
      unit: str,
      points: list(
        shape(
          { value: num, transports: perTransport(transport, true), server: cost },
          { predicted: perTransport(record(num), false) },
        ),
        true,
      ),
    }),
    capacity: list(
      shape(
        {
          route: str,
          connections: count,
          durationS: num,
          requestsPerSec: num,
          latencyMs: shape({ p50: num, p99: num }),
        },
        {
          baseline: shape({ name: str, requestsPerSec: num, ratio: num }),
          pipelining: count,
          rounds: count,
          errors: count,
          serverCpuUsPerRequest: num,
          baselineCpuUsPerRequest: num,
          serverCpuShare: num,
        },
      ),
    ),
    groups: list(shape({ ...transportFields, name: str, transport: str, resume: bool }, transportOptional)),
    runner: shape({ cpuMs: num, eventLoopDelayMs: shape({ p50: num, p99: num, max: num }) }),
    publisher: shape({ published: count, failed: count }),
    protocols: shape({
      messagesPerRun: count,
      cpuMessagesPerRun: count,
      publishCost: shape({ serverUsPerMessage: num, clientUsPerMessage: num }),
      runs: list(
        shape({
          protocol: str,
          transport: str,
          messages: count,
          requests: count,
          connections: count,
          requestsPerConnection: num,
          wirePerMessage: num,
          payloadPerMessage: num,
          wirePerExchange: list(num),
          headersPerExchange: list(num),
          headersFirst: num,
          headersLast: num,
          latencyMs: shape({ p50: num, p99: num }),
          cpu: shape({
            messages: count,
            serverUsPerMessage: num,
            clientUsPerMessage: num,
            serverGrossUsPerMessage: num,
            clientGrossUsPerMessage: num,
          }),
        }),
        true,
      ),
      byRun: anyObject,
      capacity: list(
        shape({
          target: str,
          protocol: str,
          requests: count,
          succeeded: count,
          requestsPerSecond: num,
          clients: count,
          streamsPerClient: count,
        }),
      ),
      h2load: str,
      notes: anyObject,
    }),
  },
);

/** Every problem found, with its JSON path (`summary.transports.sse.latencyMs.p99: missing`). */
export function validateSummary(value: unknown): string[] {
  const problems: string[] = [];
  summaryCheck(value, 'summary', problems);
  const v = value as { transports?: unknown; protocols?: unknown } | null;
  if (isObject(v) && isObject(v.transports) && Object.keys(v.transports).length === 0 && v.protocols === undefined)
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
