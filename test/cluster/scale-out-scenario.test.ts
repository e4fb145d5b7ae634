/**
 * The scale-out scenario as the library runs it (scenarios/library/scale-out.ts), short: 2 instances
 * (with the stickiness probe), then the fault run — real redis-server, real lab processes, real
 * HAProxy. Its summary must pass the summary.json schema, every one of the scenario's own checks
 * (0 lost / 0 duplicated across the kill, one epoch reset per client after the Redis restart, the
 * stickiness demo), and render to tables, PNG charts and report.html. Counted quantities only.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOverrides, defineScenario } from '../../scenarios/define.js';
import scaleOut, { SCALE_OUT_EXPECTATIONS } from '../../scenarios/library/scale-out.js';
import { writeResults } from '../../scenarios/output.js';
import type { Progress } from '../../scenarios/progress.js';
import { renderTable } from '../../scenarios/render/table/index.js';
import { runScenario } from '../../scenarios/run.js';
import type { Summary } from '../../scenarios/summary.js';
import { validateSummary } from '../../scenarios/validate.js';
import { requireSystemTool } from '../system-tool.js';

const quiet: Progress = { phase() {}, log() {}, status() {}, stop() {} };
const out = mkdtempSync(join(tmpdir(), 'scale-out-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The library's definition with a short schedule: one 2-instance step and a 9 s fault run. */
const short = applyOverrides(
  defineScenario({
    name: 'scale-out',
    description: scaleOut.description,
    feed: { rate: 20, payloadBytes: 256 },
    clients: {
      'short-poll': { count: 2, pollIntervalMs: 500 },
      'long-poll': { count: 2, longPollTimeoutMs: 20_000 },
      sse: { count: 2 },
      websocket: { count: 2 },
      'socket.io': { count: 2 },
    },
    warmupMs: 1_000,
    durationMs: 2_000,
    scaleOut: {
      steps: [2],
      fault: { instances: 2, durationMs: 9_000, killAtMs: 2_500, redisRestartAtMs: 5_500 },
      stickiness: { sessions: 4, requestsPerSession: 4 },
    },
    expectations: SCALE_OUT_EXPECTATIONS,
  }),
  {},
);

describe('scenario scale-out (short)', () => {
  let summary: Summary;

  it('runs through the library runner: instance kill and Redis restart, every check holds', async () => {
    requireSystemTool('redis-server');
    requireSystemTool('haproxy');
    summary = await runScenario(short, { progress: quiet });
    expect(validateSummary(summary)).toEqual([]);
    const failed = summary.expectations.filter((e) => !e.pass).map((e) => `${e.text} — ${e.detail}`);
    expect(failed).toEqual([]);
    expect(summary.expectations).toHaveLength(SCALE_OUT_EXPECTATIONS.length);
    const fault = summary.scaleOut?.fault;
    expect(Object.keys(fault?.perTransport ?? {})).toEqual([
      'short-poll',
      'long-poll',
      'sse',
      'websocket',
      'socket.io',
    ]);
    for (const row of Object.values(fault?.perTransport ?? {})) {
      expect(row).toMatchObject({ clients: 2, lost: 0, duplicates: 0, epochResets: 2, clientsWithOneEpochReset: 2 });
    }
  }, 240_000);

  it('renders like every scenario: the tables, PNG charts and report.html', async () => {
    expect(summary).toBeDefined();
    const table = renderTable(summary, { color: false });
    expect(table).toContain('Scale-out steps');
    expect(table).toContain('Fault run (2 instances)');
    expect(table).toContain('Session ID unknown');
    expect(table).toContain(`${SCALE_OUT_EXPECTATIONS.length}/${SCALE_OUT_EXPECTATIONS.length} expectations met`);
    const written = await writeResults(summary, out);
    for (const file of ['summary.json', 'throughput-per-instance.png', 'cpu-per-message.png', 'fault-timeline.png']) {
      expect(existsSync(join(written.dir, file)), file).toBe(true);
    }
    expect(readFileSync(join(written.dir, 'report.html'), 'utf8')).toContain('Fault run');
  }, 60_000);
});
