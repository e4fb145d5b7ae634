/**
 * The short, seeded reconnect torture (scripts/reliability/torture.ts; the full 1 000 per transport
 * is `npm run torture`, its figures in results/torture/). One client per transport behind its own
 * TCP proxy; cuts at seeded moments by the server, by a proxy reset, and by a proxy that relays half
 * of the server's next chunk (inside a WebSocket frame, inside an SSE event) and then resets. Each
 * client must end with exactly 1…N. The seed is printed; TORTURE_SEED replays its schedule.
 */
import { describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../contract/index.js';
import { runTorture } from '../scripts/reliability/torture.js';

const CUTS = 12;
const seed = process.env.TORTURE_SEED ? Number(process.env.TORTURE_SEED) : Date.now() % 1_000_000;

describe(`reconnect torture, seed ${seed} (TORTURE_SEED=${seed} replays)`, () => {
  it(`every transport ends with exactly 1…N after ${CUTS} forced reconnects of every kind`, async () => {
    console.log(`torture seed ${seed}`);
    const result = await runTorture({ seed, cuts: CUTS, rate: 100 });
    for (const t of result.transports) {
      const label = `${t.transport}, seed ${seed}`;
      expect(t.check, label).toEqual({
        received: result.n,
        first: 1,
        last: result.n,
        duplicates: 0,
        reordered: 0,
        gaps: 0,
        resets: 0,
      });
      expect(t.exact, label).toBe(true);
      // Not vacuous: the cuts happened, on live connections.
      expect(t.cuts.server + t.cuts['proxy-reset'] + t.cuts['proxy-mid-chunk'], label).toBe(CUTS);
      if (t.transport === 'websocket' || t.transport === 'sse') {
        expect(t.insideUnit, label).toBe(t.cuts['proxy-mid-chunk']);
      }
    }
    expect(result.transports.map((t) => t.transport)).toEqual([...TRANSPORTS]);
    expect(result.n).toBeGreaterThan(0);
  }, 180_000);
});
