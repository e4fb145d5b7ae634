/**
 * The short, seeded reconnect storm through the scenario path (`npm run scenario -- storm`:
 * scenarios/library/storm.ts → scenarios/storm/run.ts → scripts/reliability/storm.ts; the full
 * 3 000 clients' figures are in results/storm/). 150 clients of every transport in two client
 * processes, dropped at once by a server SIGKILL + restart and then by their proxies resetting every
 * connection. Counted, not timed: every client comes back, each one resumed or explicitly reset,
 * never silently gapped, nothing twice or reordered; after the kill every client was told of the new
 * epoch, after the proxy reset every client resumed by its cursor. (The 20 s and memory criteria are
 * the full run's, on a quiet machine: durations are never asserted here.) The summary must pass
 * scenarios/validate.ts and its report must hold the recovery curve. STORM_SEED replays each
 * client's backoff draws.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../contract/index.js';
import type { Scenario } from '../scenarios/define.js';
import { findScenario } from '../scenarios/library/index.js';
import { dropExpectations } from '../scenarios/library/storm.js';
import { writeResults } from '../scenarios/output.js';
import type { Progress } from '../scenarios/progress.js';
import { runScenario } from '../scenarios/run.js';
import { validateSummary } from '../scenarios/validate.js';

const CLIENTS = 150;
const seed = process.env.STORM_SEED ? Number(process.env.STORM_SEED) : Date.now() % 1_000_000;
const out = mkdtempSync(join(tmpdir(), 'storm-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const quiet: Progress = { phase: () => {}, log: (line) => console.log(line), status: () => {}, stop: () => {} };

describe(`reconnect storm, seed ${seed} (STORM_SEED=${seed} replays)`, () => {
  it(`${CLIENTS} mixed clients come back from a SIGKILL + restart and from a proxy reset, none silently gapped`, async () => {
    const library = findScenario('storm');
    if (!library?.storm) throw new Error('no storm scenario in scenarios/library');
    const scenario: Scenario = {
      ...library,
      // Expectations that count, none that time (this machine is shared and busy).
      expectations: [...dropExpectations('kill', { timed: false }), ...dropExpectations('proxy', { timed: false })],
      // Generous: a loaded CI machine may take long to start the new server.
      storm: { ...library.storm, clients: CLIENTS, steadyMs: 1_000, settleMs: 500, observeMs: 90_000 },
    };
    const summary = await runScenario(scenario, { progress: quiet, seed });
    expect(validateSummary(summary)).toEqual([]);
    for (const e of summary.expectations) expect(e.pass, `${e.text}: ${e.detail}`).toBe(true);
    expect(summary.expectations).toHaveLength(6);

    const storm = summary.storm;
    expect(storm?.settings).toMatchObject({ clients: CLIENTS, seed, faults: ['kill', 'proxy'] });
    expect(storm?.drops.map((d) => d.fault)).toEqual(['kill', 'proxy']);
    for (const drop of storm?.drops ?? []) {
      const label = `${drop.fault}, seed ${seed}`;
      expect(drop.members, label).toBe(CLIENTS);
      expect(drop.notBack, label).toEqual([]);
      expect(drop.back, label).toBe(CLIENTS);
      expect({ gapped: drop.silentlyGapped, holes: drop.silentHoles }, label).toEqual({ gapped: 0, holes: 0 });
      // Every transport took part.
      expect(Object.keys(drop.byTransport).sort(), label).toEqual([...TRANSPORTS].sort());
      // The curve was drawn: samples on both sides of the drop.
      expect(drop.curve.some((p) => p.x < 0) && drop.curve.some((p) => p.x > 0), label).toBe(true);
    }
    expect(storm?.drops[0]?.serverBackMs).toBeGreaterThan(0);
    // The server's CPU was read across the kill, and the fleet counted what it got.
    expect(summary.phases.map((p) => p.name)).toEqual([
      `${CLIENTS} clients arrive`,
      'steady',
      'server SIGKILL + restart, until all back',
      'steady',
      'proxies reset, until all back',
    ]);
    expect(summary.server.cpuMs).toBeGreaterThan(0);
    expect(storm?.delivered).toBeGreaterThan(0);

    // The report through the shared writer: the recovery curve and the server's memory.
    const written = await writeResults(summary, out);
    for (const file of ['summary.json', 'recovery.png', 'server-memory.png', 'report.html'])
      expect(existsSync(join(written.dir, file)), file).toBe(true);
  }, 300_000);
});
