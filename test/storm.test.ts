/**
 * The short, seeded reconnect storm (scripts/reliability/storm.ts; the full 3 000 clients is
 * `npm run storm`, its figures in results/storm/). 150 clients of every transport in two client
 * processes, dropped at once by a server SIGKILL + restart and then by their proxies resetting every
 * connection. Counted, not timed: every client comes back, each one resumed or explicitly reset,
 * never silently gapped, nothing twice or reordered; after the kill every client was told of the new
 * epoch, after the proxy reset every client resumed by its cursor. (The 20 s criterion is the full
 * run's, on a quiet machine: durations are never asserted here.) STORM_SEED replays each client's
 * backoff draws.
 */
import { describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../contract/index.js';
import { runStorm, STORM_DEFAULTS } from '../scripts/reliability/storm.js';

const CLIENTS = 150;
const seed = process.env.STORM_SEED ? Number(process.env.STORM_SEED) : Date.now() % 1_000_000;

describe(`reconnect storm, seed ${seed} (STORM_SEED=${seed} replays)`, () => {
  it(`${CLIENTS} mixed clients come back from a SIGKILL + restart and from a proxy reset, none silently gapped`, async () => {
    console.log(`storm seed ${seed}`);
    const result = await runStorm({
      ...STORM_DEFAULTS,
      clients: CLIENTS,
      seed,
      steadyMs: 1_000,
      settleMs: 500,
      // Generous: a loaded CI machine may take long to start the new server.
      observeMs: 90_000,
    });
    expect(result.drops.map((d) => d.fault)).toEqual(['kill', 'proxy']);
    for (const drop of result.drops) {
      const label = `${drop.fault}, seed ${seed}`;
      expect(drop.members, label).toBe(CLIENTS);
      expect(drop.notBack, label).toEqual([]);
      expect(drop.back, label).toBe(CLIENTS);
      expect({ gapped: drop.silentlyGapped, holes: drop.silentHoles }, label).toEqual({ gapped: 0, holes: 0 });
      expect({ duplicates: drop.duplicates, reordered: drop.reordered }, label).toEqual({
        duplicates: 0,
        reordered: 0,
      });
      expect(drop.resumed + drop.reset, label).toBe(CLIENTS);
      // Every transport took part.
      expect(Object.keys(drop.byTransport).sort(), label).toEqual([...TRANSPORTS].sort());
      // The curve was drawn: samples on both sides of the drop.
      expect(drop.curve.some((p) => p.x < 0) && drop.curve.some((p) => p.x > 0), label).toBe(true);
    }
    const [kill, proxy] = result.drops;
    // A new process has a new epoch: every client noticed, and every one was told (a reset notice).
    expect(kill?.noticed).toBe(CLIENTS);
    expect(kill?.reset).toBe(CLIENTS);
    expect(kill?.serverBackMs).toBeGreaterThan(0);
    // The same server: every connection was reset, and every client resumed by its cursor.
    expect(proxy?.connectionsReset).toBeGreaterThan(0);
    expect(proxy?.reset).toBe(0);
    expect(proxy?.resumed).toBe(CLIENTS);
  }, 300_000);
});
