/**
 * The counters (contract/index.ts, TransportCounters), per transport and per client id. Everything else the server
 * serves (dashboard files, stats, feed control) is kept in `other`, never mixed into a transport.
 */
import { emptyCounters, TRANSPORTS, type TransportCounters, type TransportName } from '../../contract/index.js';

/** Where a piece of traffic belongs: one of the four transports, or everything else. */
export type Bucket = TransportName | 'other';

/**
 * Who a piece of traffic belongs to. Made with `held: null`; the ledger keeps there the client's
 * counters for this bucket once it has looked them up, so a connection's later updates (every
 * delivery of a stream, every request of a keep-alive poller) find them without a lookup, until the
 * client is forgotten (the bounded LRU below). An attribution belongs to one lab's ledger.
 */
export interface Attribution {
  bucket: Bucket;
  client: string | null;
  held: ClientTally | null;
}

type CounterName = keyof TransportCounters;

/**
 * The counters of one bucket, as fields of one class: the totals and every client's are the same
 * shape, so each update is a direct field update (no keyed access by bucket or counter name).
 */
export class Tally implements TransportCounters {
  connections = 0;
  requests = 0;
  emptyResponses = 0;
  messages = 0;
  payloadBytes = 0;
  resets = 0;
  bytesIn = 0;
  bytesOut = 0;
}

/**
 * One client's counters for one bucket. The client's first bucket is its entry in the recency Map
 * (the head); any other bucket it uses is chained behind it. Most clients use one bucket, so a
 * remembered client costs one object (about 70 B) and its Map entry, not a record, a table of
 * buckets and counters (memory rows of `npm run bench`: every idle connection is a client).
 */
export class ClientTally extends Tally {
  /** The client's next bucket. */
  next: ClientTally | null = null;
  /** Head only: when the client last moved to the young end of the order (ms, whole: a small integer). */
  moved = 0;
  /** Head only: the client was forgotten; attributions that hold its counters look it up again. */
  forgotten = false;

  constructor(
    readonly bucket: Bucket,
    /** The bucket's totals: a held tally updates them without a lookup. */
    readonly total: Tally,
    /** The client's first tally; null: this is it. */
    readonly head: ClientTally | null,
  ) {
    super();
  }
}

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

type Counters = Record<Bucket, TransportCounters>;

function tallies(): Record<Bucket, Tally> {
  const out = { other: new Tally() } as Record<Bucket, Tally>;
  for (const transport of TRANSPORTS) out[transport] = new Tally();
  return out;
}

/** A plain copy of a tally's counters (what /api/stats and /metrics read). */
function countersOf(tally: Tally): TransportCounters {
  const { connections, requests, emptyResponses, messages, payloadBytes, resets, bytesIn, bytesOut } = tally;
  return { connections, requests, emptyResponses, messages, payloadBytes, resets, bytesIn, bytesOut };
}

/** `tally[counter] += amount`, as direct field updates (one keyed store site would be megamorphic). */
function bump(tally: Tally, counter: CounterName, amount: number): void {
  switch (counter) {
    case 'connections':
      tally.connections += amount;
      return;
    case 'requests':
      tally.requests += amount;
      return;
    case 'emptyResponses':
      tally.emptyResponses += amount;
      return;
    case 'messages':
      tally.messages += amount;
      return;
    case 'payloadBytes':
      tally.payloadBytes += amount;
      return;
    case 'resets':
      tally.resets += amount;
      return;
    case 'bytesIn':
      tally.bytesIn += amount;
      return;
    case 'bytesOut':
      tally.bytesOut += amount;
      return;
  }
}

export class Ledger {
  private readonly totals = tallies();
  /** Each remembered client's first tally, in recency order, oldest first (to within REORDER_MS). */
  private readonly clients = new Map<string, ClientTally>();
  /**
   * The tally updated last: one response updates its client's counters several times in a row
   * (request, messages, bytes in and out), and only the first looks at the recency order.
   */
  private last: ClientTally | null = null;

  /** `now`: a monotonic clock in ms (a test passes its own). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  add(who: Attribution, counter: CounterName, amount: number): void {
    if (amount === 0) return;
    const tally = this.tallyOf(who);
    if (tally === null) bump(this.totals[who.bucket], counter, amount);
    else {
      bump(tally.total, counter, amount);
      bump(tally, counter, amount);
    }
  }

  /** Messages delivered and their payload bytes: two counters, one recency update (the hot path). */
  addDelivered(who: Attribution, messages: number, payloadBytes: number): void {
    const tally = this.tallyOf(who);
    const total = tally === null ? this.totals[who.bucket] : tally.total;
    total.messages += messages;
    total.payloadBytes += payloadBytes;
    if (tally === null) return;
    tally.messages += messages;
    tally.payloadBytes += payloadBytes;
  }

  /** The client's counters for the attribution's bucket, marked active (made, evicting the least recently active, if new). */
  private tallyOf(who: Attribution): ClientTally | null {
    const client = who.client;
    if (client === null) return null;
    let tally = who.held;
    if (tally === null || (tally.head ?? tally).forgotten) {
      tally = this.lookUp(who.bucket, client);
      who.held = tally;
    }
    if (tally !== this.last) {
      this.last = tally;
      const head = tally.head ?? tally;
      const now = this.now();
      if (now - head.moved > REORDER_MS) {
        this.clients.delete(client); // re-insert: Map order is our recency order
        this.clients.set(client, head);
        head.moved = Math.floor(now);
      }
    }
    return tally;
  }

  private lookUp(bucket: Bucket, client: string): ClientTally {
    const head = this.clients.get(client);
    if (head === undefined) {
      if (this.clients.size >= MAX_CLIENTS) this.forgetOldest();
      const made = new ClientTally(bucket, this.totals[bucket], null);
      made.moved = Math.floor(this.now());
      this.clients.set(client, made);
      return made;
    }
    for (let tally: ClientTally | null = head; tally !== null; tally = tally.next) {
      if (tally.bucket === bucket) return tally;
    }
    const made = new ClientTally(bucket, this.totals[bucket], head);
    made.next = head.next;
    head.next = made;
    return made;
  }

  private forgetOldest(): void {
    const oldest = this.clients.entries().next().value;
    if (oldest === undefined) return;
    this.clients.delete(oldest[0]);
    oldest[1].forgotten = true;
  }

  /** Client ids remembered now (at most MAX_CLIENTS). */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Per-client counter sets held now: one per bucket a remembered client has used. */
  get clientBucketCount(): number {
    let held = 0;
    for (const head of this.clients.values()) {
      for (let tally: ClientTally | null = head; tally !== null; tally = tally.next) held += 1;
    }
    return held;
  }

  /** A copy of the counters, of everyone or of one client (all zero for a client never seen). */
  read(client: string | null = null): Counters {
    const out = emptyBuckets();
    if (client === null) {
      for (const bucket of Object.keys(this.totals) as Bucket[]) out[bucket] = countersOf(this.totals[bucket]);
      return out;
    }
    for (let tally = this.clients.get(client) ?? null; tally !== null; tally = tally.next) {
      out[tally.bucket] = countersOf(tally);
    }
    return out;
  }
}
