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
/**
 * A client's counters: only the buckets it has used. Most clients use one transport (and perhaps
 * `other`), and a full set of six is ~240 B more per remembered client, on every idle connection
 * of the memory rows of `npm run bench`. `read` fills in the rest as zeros.
 */
type ClientCounters = Partial<Counters>;

/** Client ids remembered at most; the least recently active is forgotten first (to within REORDER_MS). */
export const MAX_CLIENTS = 10_000;

/**
 * A client moves to the young end of the recency order at most this often. Moving it on every
 * update (a Map delete and set per socket per tick) was a measurable share of a busy fan-out
 * (`npm run bench`, the WebSocket CPU profile: about 2.5 %), and eviction needs the order only to
 * within this much: a client's place is the last time it moved, at most REORDER_MS before its
 * last activity. So the client forgotten is never one that was active more than REORDER_MS after
 * a client kept (server/security/poll-limit.ts orders its buckets the same way).
 */
export const REORDER_MS = 1_000;

function emptyBuckets(): Counters {
  const out = { other: emptyCounters() } as Counters;
  for (const transport of TRANSPORTS) out[transport] = emptyCounters();
  return out;
}

interface Client {
  counters: ClientCounters;
  /** When it last moved to the young end of the order (the `now` clock, ms). */
  moved: number;
}

export class Ledger {
  private readonly totals = emptyBuckets();
  /** In recency order, oldest first (to within REORDER_MS). */
  private readonly clients = new Map<string, Client>();
  /**
   * The client touched last and its counters: one response updates its client's counters several
   * times in a row (request, messages, bytes in and out), and only the first looks it up.
   */
  private lastClient: string | null = null;
  private lastCounters: ClientCounters | null = null;

  /** `now`: a monotonic clock in ms (a test passes its own). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  add(who: Attribution, counter: CounterName, amount: number): void {
    if (amount === 0) return;
    this.totals[who.bucket][counter] += amount;
    const client = this.touch(who);
    if (client) bucketOf(client, who.bucket)[counter] += amount;
  }

  /** Messages delivered and their payload bytes: two counters, one recency update (the hot path). */
  addDelivered(who: Attribution, messages: number, payloadBytes: number): void {
    const totals = this.totals[who.bucket];
    totals.messages += messages;
    totals.payloadBytes += payloadBytes;
    const client = this.touch(who);
    if (!client) return;
    const counters = bucketOf(client, who.bucket);
    counters.messages += messages;
    counters.payloadBytes += payloadBytes;
  }

  /** The client's counters, marked active (created, evicting the least recently active, if new). */
  private touch(who: Attribution): ClientCounters | null {
    if (who.client === null) return null;
    if (who.client === this.lastClient && this.lastCounters !== null) return this.lastCounters;
    let client = this.clients.get(who.client);
    if (client !== undefined) {
      const now = this.now();
      if (now - client.moved > REORDER_MS) {
        this.clients.delete(who.client); // re-insert: Map order is our recency order
        this.clients.set(who.client, client);
        client.moved = now;
      }
    } else {
      if (this.clients.size >= MAX_CLIENTS) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
      client = { counters: {}, moved: this.now() };
      this.clients.set(who.client, client);
    }
    this.lastClient = who.client;
    this.lastCounters = client.counters;
    return client.counters;
  }

  /** Client ids remembered now (at most MAX_CLIENTS). */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Per-client counter sets held now: one per bucket a remembered client has used. */
  get clientBucketCount(): number {
    let held = 0;
    for (const client of this.clients.values()) held += Object.keys(client.counters).length;
    return held;
  }

  /** A copy of the counters, of everyone or of one client (all zero for a client never seen). */
  read(client: string | null = null): Counters {
    if (client === null) return structuredClone(this.totals);
    const out = emptyBuckets();
    const used = this.clients.get(client)?.counters ?? {};
    for (const bucket of Object.keys(used) as Bucket[]) out[bucket] = { ...(used[bucket] as TransportCounters) };
    return out;
  }
}

/** A client's counters for `bucket`, made on its first use. */
function bucketOf(client: ClientCounters, bucket: Bucket): TransportCounters {
  let counters = client[bucket];
  if (counters === undefined) {
    counters = emptyCounters();
    client[bucket] = counters;
  }
  return counters;
}
