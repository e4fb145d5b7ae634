/**
 * The counters (contract/index.ts, TransportCounters), per transport and per client id. Everything else the server
 * serves (dashboard files, stats, feed control) is kept in `other`, never mixed into a transport.
 */
import { emptyCounters, TRANSPORTS, type TransportCounters, type TransportName } from '../../contract/index.js';

/** Where a piece of traffic belongs: one of the four transports, or everything else. */
export type Bucket = TransportName | 'other';

export interface Attribution {
  bucket: Bucket;
  client: string | null;
}

type CounterName = keyof TransportCounters;
type Counters = Record<Bucket, TransportCounters>;

/** Client ids remembered at most; the least recently active is forgotten first. */
export const MAX_CLIENTS = 10_000;

function emptyBuckets(): Counters {
  const out = { other: emptyCounters() } as Counters;
  for (const transport of TRANSPORTS) out[transport] = emptyCounters();
  return out;
}

export class Ledger {
  private readonly totals = emptyBuckets();
  private readonly clients = new Map<string, Counters>();
  /**
   * The client touched last and its counters: one response updates its client's counters several
   * times in a row (request, messages, bytes in and out), and only the first moves it in the LRU.
   */
  private lastClient: string | null = null;
  private lastCounters: Counters | null = null;

  add(who: Attribution, counter: CounterName, amount: number): void {
    if (amount === 0) return;
    this.totals[who.bucket][counter] += amount;
    const client = this.touch(who);
    if (client) client[who.bucket][counter] += amount;
  }

  /** Messages delivered and their payload bytes: two counters, one recency update (the hot path). */
  addDelivered(who: Attribution, messages: number, payloadBytes: number): void {
    const totals = this.totals[who.bucket];
    totals.messages += messages;
    totals.payloadBytes += payloadBytes;
    const client = this.touch(who);
    if (!client) return;
    client[who.bucket].messages += messages;
    client[who.bucket].payloadBytes += payloadBytes;
  }

  /** The client's counters, made most recently used (created, evicting the least recent, if new). */
  private touch(who: Attribution): Counters | null {
    if (who.client === null) return null;
    if (who.client === this.lastClient && this.lastCounters !== null) return this.lastCounters;
    let counters = this.clients.get(who.client);
    if (counters) {
      this.clients.delete(who.client); // re-insert: Map order is our recency order
    } else {
      counters = emptyBuckets();
      if (this.clients.size >= MAX_CLIENTS) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
    }
    this.clients.set(who.client, counters);
    this.lastClient = who.client;
    this.lastCounters = counters;
    return counters;
  }

  /** Client ids remembered now (at most MAX_CLIENTS). */
  get clientCount(): number {
    return this.clients.size;
  }

  /** A copy of the counters, of everyone or of one client (all zero for a client never seen). */
  read(client: string | null = null): Counters {
    const source = client === null ? this.totals : (this.clients.get(client) ?? emptyBuckets());
    return structuredClone(source);
  }
}
