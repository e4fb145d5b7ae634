/**
 * The classroom scenario's machinery (scenarios/class-pages.ts, scenarios/class-capacity.ts), on a
 * small class: a real lab in classroom mode, real lanes, real student pages that join, hold a stats
 * stream and report. Pinned: every page's reports are accepted (its student token is real) and the
 * class view answers the runner (the instructor's token is the lab's); the pages' counts are what
 * their intervals call for; a verdict per class size; the lanes lost nothing.
 */
import { describe, expect, it } from 'vitest';
import { CLASS_HEARTBEAT_MS } from '../../contract/classroom.js';
import { TRANSPORTS } from '../../contract/index.js';
import { laneBudgetMs } from '../../scenarios/class-capacity.js';
import { defineScenario, ScenarioError } from '../../scenarios/define.js';
import type { Progress } from '../../scenarios/progress.js';
import { runScenario } from '../../scenarios/run.js';

const quiet: Progress = { phase() {}, status() {}, log() {}, done() {} } as unknown as Progress;

describe('classroom scenario machinery', () => {
  it('runs a class of pages beside the lanes and judges each class size', async () => {
    const scenario = defineScenario({
      name: 'classroom-small',
      description: 'a small class',
      feed: { rate: 4, payloadBytes: 128 },
      clients: Object.fromEntries(TRANSPORTS.map((t) => [t, { count: 2 }])),
      warmupMs: 1_500,
      durationMs: 4_500,
      classroom: { budgetMs: 250, statsIntervalMs: 500 },
      sweep: {
        parameter: 'student pages',
        unit: 'pages',
        values: [2, 4],
        apply: (spec, n) => ({ ...spec, groups: spec.groups.map((g) => ({ ...g, count: n })) }),
      },
    });
    const summary = await runScenario(scenario, { progress: quiet });
    const capacity = summary.classCapacity;
    expect(capacity?.verdicts.map((v) => v.pages)).toEqual([2, 4]);
    for (const v of capacity?.verdicts ?? []) {
      const load = v.pageLoad;
      expect(load.pages).toBe(v.pages);
      // One stats event per interval per page (±1 at the window's edges), one report per heartbeat.
      expect(load.statsEvents).toBeGreaterThanOrEqual(load.statsEventsExpected - v.pages);
      expect(load.reports).toBeGreaterThanOrEqual(v.pages * Math.floor(4_500 / CLASS_HEARTBEAT_MS - 1));
      expect(load.reportFailures).toBe(0);
      expect(load.classViews).toBeGreaterThanOrEqual(3);
      expect(load.classViewFailures).toBe(0);
      expect(load.bytesIn).toBeGreaterThan(0);
      expect(load.bytesOut).toBeGreaterThan(0);
      expect(Object.keys(v.lanes).sort()).toEqual([...TRANSPORTS].sort());
      expect(v.serverCpuMsPerPagePerS).toBeGreaterThan(0);
    }
    for (const point of summary.sweep?.points ?? [])
      for (const t of TRANSPORTS) expect(point.transports[t]?.lost, `${t} at ${point.value}`).toBe(0);
    expect(summary.params.classroom).toEqual({ budgetMs: 250, statsIntervalMs: 500 });
  }, 120_000);

  it('gives a short poll its interval as its floor, every other lane none', () => {
    expect(laneBudgetMs({ transport: 'short-poll', pollIntervalMs: 1_000 }, 250)).toBe(1_240);
    expect(laneBudgetMs({ transport: 'sse', pollIntervalMs: 1_000 }, 250)).toBe(250);
  });

  it('refuses a class whose groups differ in size, or two groups of one transport', () => {
    const base = {
      name: 'bad-class',
      description: 'x',
      feed: { rate: 1, payloadBytes: 128 },
      warmupMs: 0,
      durationMs: 1_000,
      classroom: { budgetMs: 250 },
    };
    expect(() => defineScenario({ ...base, clients: { sse: { count: 2 }, websocket: { count: 3 } } })).toThrow(
      /same count/,
    );
    expect(() =>
      defineScenario({
        ...base,
        clients: {
          sse: [
            { count: 2, name: 'a' },
            { count: 2, name: 'b' },
          ],
        },
      }),
    ).toThrow(ScenarioError);
  });
});
