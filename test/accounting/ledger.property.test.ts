/**
 * The ledger (server/accounting/ledger.ts) counts what a naive sum per client and bucket counts,
 * whether an update comes with a fresh attribution or one the ledger already holds counters on (a
 * stream's, a keep-alive poller's), and a held attribution whose client was forgotten (the bounded
 * LRU) counts into the client's new counters, never into the forgotten ones.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyCounters, TRANSPORTS, type TransportCounters } from '../../contract/index.js';
import { type Attribution, type Bucket, Ledger, MAX_CLIENTS } from '../../server/accounting/ledger.js';

const BUCKETS: Bucket[] = [...TRANSPORTS, 'other'];
const COUNTERS = Object.keys(emptyCounters()) as (keyof TransportCounters)[];

const update = fc.record({
  client: fc.option(fc.integer({ min: 0, max: 7 }), { nil: null }),
  bucket: fc.constantFrom(...BUCKETS),
  // Reuse the attribution made for this client and bucket before (a stream's), or make a new one (a request's).
  reuse: fc.boolean(),
  kind: fc.oneof(
    fc.record({ counter: fc.constantFrom(...COUNTERS), amount: fc.integer({ min: -3, max: 1_000 }) }),
    fc.record({ messages: fc.integer({ min: 1, max: 20 }), payloadBytes: fc.integer({ min: 0, max: 5_000 }) }),
  ),
});

describe('ledger', () => {
  it('counts as a naive sum per client and bucket, with fresh or held attributions', () => {
    fc.assert(
      fc.property(
        fc.array(update, { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 3_000 })),
        (updates, gaps) => {
          let now = 0;
          const ledger = new Ledger(() => now);
          const held = new Map<string, Attribution>();
          const model = new Map<string, TransportCounters>();
          const modelOf = (key: string) => {
            let counters = model.get(key);
            if (counters === undefined) {
              counters = emptyCounters();
              model.set(key, counters);
            }
            return counters;
          };
          for (const [i, u] of updates.entries()) {
            now += gaps[i] ?? 1;
            const client = u.client === null ? null : `c${u.client}`;
            const key = `${client}/${u.bucket}`;
            let who = u.reuse ? held.get(key) : undefined;
            if (who === undefined) {
              who = { bucket: u.bucket, client, held: null };
              held.set(key, who);
            }
            const targets = [modelOf(`*/${u.bucket}`), ...(client === null ? [] : [modelOf(key)])];
            if ('counter' in u.kind) {
              ledger.add(who, u.kind.counter, u.kind.amount);
              for (const t of targets) t[u.kind.counter] += u.kind.amount;
            } else {
              ledger.addDelivered(who, u.kind.messages, u.kind.payloadBytes);
              for (const t of targets) {
                t.messages += u.kind.messages;
                t.payloadBytes += u.kind.payloadBytes;
              }
            }
          }
          const totals = ledger.read();
          for (const bucket of BUCKETS) expect(totals[bucket]).toEqual(model.get(`*/${bucket}`) ?? emptyCounters());
          for (let c = 0; c < 8; c++) {
            const mine = ledger.read(`c${c}`);
            for (const bucket of BUCKETS) expect(mine[bucket]).toEqual(model.get(`c${c}/${bucket}`) ?? emptyCounters());
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a held attribution of a forgotten client counts into its new counters, not the forgotten ones', () => {
    const ledger = new Ledger(() => 0);
    const stream: Attribution = { bucket: 'sse', client: 'kept-long', held: null };
    const other: Attribution = { bucket: 'other', client: 'kept-long', held: null };
    ledger.addDelivered(stream, 1, 10);
    ledger.add(other, 'requests', 1);
    expect(stream.held).not.toBeNull();
    // MAX_CLIENTS newer clients: 'kept-long' (never moved: the clock stands still) is forgotten.
    for (let i = 0; i < MAX_CLIENTS; i++) ledger.add({ bucket: 'sse', client: `n${i}`, held: null }, 'requests', 1);
    expect(ledger.read('kept-long').sse).toEqual(emptyCounters());
    // The stream goes on: its client is remembered again, from zero, and both of its buckets count there.
    ledger.addDelivered(stream, 2, 20);
    ledger.add(other, 'bytesIn', 5);
    ledger.add({ bucket: 'sse', client: 'kept-long', held: null }, 'resets', 1);
    const now = ledger.read('kept-long');
    expect(now.sse).toEqual({ ...emptyCounters(), messages: 2, payloadBytes: 20, resets: 1 });
    expect(now.other).toEqual({ ...emptyCounters(), bytesIn: 5 });
    expect(ledger.clientCount).toBe(MAX_CLIENTS);
    // The totals never forget.
    expect(ledger.read().sse).toMatchObject({ messages: 3, payloadBytes: 30, resets: 1, requests: MAX_CLIENTS });
  });
});
