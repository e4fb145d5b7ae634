/**
 * The network shaper: what a real path does to one direction of a TCP byte stream, done in
 * userspace between two sockets (tcp-proxy.ts puts one on each side of every connection it
 * relays; there is no `tc netem` on the lab's machines). The profiles are in contract/networks.ts.
 *
 * One direction, segment by segment (≤ SEGMENT_BYTES, as TCP would cut the stream):
 *
 *   departure = token bucket (rate = the cap, depth BURST_BYTES): a segment leaves when the
 *               bucket holds its bytes, so over a long transfer the rate is the cap;
 *   arrival   = departure + one-way delay ± jitter (uniform), then + the retransmission timeout
 *               with probability `lossPercent` (the segment was lost and sent again);
 *   delivery  = max(arrival, the previous segment's delivery): TCP hands bytes to the
 *               application in order, so a late segment holds back everything behind it
 *               (head-of-line blocking) and jitter bunches bytes but never reorders them.
 *
 * Bytes are never changed, dropped or reordered; the FIN (end) is delivered after the last byte.
 * The random draws come from a seeded generator, so a run can be repeated exactly.
 *
 * The shaper keeps its own books: how late each delivery was against its schedule, segments, stalls.
 * Lateness has two causes, kept apart: the timer firing late (the thread's event-loop delay: other work
 * in the thread, or the operating system leaving it without a core — on a shared 2-core machine a few
 * ms at the p99 even when the thread is 95 % idle), and the shaper's own work (a delivery waiting behind
 * the deliveries of the same backlog). Only the second, if it grows, means the shaper is setting the delay.
 *
 * Timing: every direction of a thread shares ONE timer (DeliveryClock below), a heap of the
 * directions' next due times. When it fires it delivers whatever is due, earliest first, in slices
 * of at most SLICE_MS of work, yielding to the event loop between slices. A fan-out of 2 000
 * connections makes 2 000 deliveries fall due within a millisecond; as 2 000 timers they ran in one
 * turn, and that turn (tens of ms of socket writes) was the shaper's event-loop delay
 * (scripts/bench/shaper.ts). Per direction nothing changes: its segments still leave in order.
 */
import { type NetworkParams, retransmitTimeoutMs, SEGMENT_BYTES } from '../contract/networks.js';

/** Token bucket depth: two segments, so back-to-back segments are paced, not burst. */
export const BURST_BYTES = 2 * SEGMENT_BYTES;
/**
 * Timers have a 1 ms grain and fire late rather than early: each is set this much before its
 * delivery is due, and deliveries due within this much of now go out in that turn. A delivery is
 * thus at most this early, and late only by the event loop's own delay (kept in the books).
 */
const EARLY_MS = 1;
/**
 * The longest the shared clock works in one event-loop turn, ms: then it yields (setImmediate) so
 * reads, other timers and the loop itself go on, and picks up where it stopped.
 */
export const SLICE_MS = 2;
/** A direction with more than this queued asks its source to pause (bounded memory). */
export const HIGH_WATER_BYTES = 256 * 1024;

/** A small seeded generator (mulberry32): the same seed gives the same stalls. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DirectionParams {
  /** One-way delay, ms. */
  delayMs: number;
  jitterMs: number;
  /** Cap, kbit/s; 0 = uncapped. */
  kbps: number;
  lossPercent: number;
  /** How long a lost segment waits for its retransmission, ms. */
  rtoMs: number;
}

/** The two directions of a profile: up = client → server, down = server → client. */
export function directionsOf(p: NetworkParams): { up: DirectionParams; down: DirectionParams } {
  const common = {
    delayMs: p.rttMs / 2,
    jitterMs: p.jitterMs,
    lossPercent: p.lossPercent,
    rtoMs: retransmitTimeoutMs(p),
  };
  return { up: { ...common, kbps: p.upKbps }, down: { ...common, kbps: p.downKbps } };
}

/** What every shaped direction of a proxy adds to (plain numbers, cheap to keep and to copy). */
export interface ShaperBooks {
  segments: number;
  /** Segments held for a retransmission timeout. */
  stalls: number;
  /** Deliveries (timer turns that wrote something). */
  deliveries: number;
  /** Lateness of deliveries against their schedule, ms: counts per bucket (see LATENESS_BUCKETS_MS). */
  lateness: number[];
  latenessMaxMs: number;
  /**
   * The part of each delivery's lateness the shaper caused itself, ms, same buckets: the time the
   * shaper spent on the same backlog's earlier deliveries while this one was due. The turns between
   * its slices are the loop's (other work ran), not the shaper's. An upper bound: a thread the
   * operating system preempts in the middle of a slice counts here too (a loaded machine shows 5–10 ms
   * of it in small groups). The rest is the clock's timer firing late, or a slice's turn coming late —
   * the thread's event-loop delay, whatever else the thread ran or however long the operating system
   * left it waiting for a core.
   */
  ownLateness: number[];
}

/** Upper bounds of the lateness buckets, ms (the last is everything above). */
export const LATENESS_BUCKETS_MS = [0.5, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, Number.POSITIVE_INFINITY];

export function emptyBooks(): ShaperBooks {
  return {
    segments: 0,
    stalls: 0,
    deliveries: 0,
    lateness: LATENESS_BUCKETS_MS.map(() => 0),
    latenessMaxMs: 0,
    ownLateness: LATENESS_BUCKETS_MS.map(() => 0),
  };
}

export function addBooks(into: ShaperBooks, from: ShaperBooks): ShaperBooks {
  into.segments += from.segments;
  into.stalls += from.stalls;
  into.deliveries += from.deliveries;
  from.lateness.forEach((n, i) => {
    into.lateness[i] = (into.lateness[i] ?? 0) + n;
  });
  into.latenessMaxMs = Math.max(into.latenessMaxMs, from.latenessMaxMs);
  from.ownLateness.forEach((n, i) => {
    into.ownLateness[i] = (into.ownLateness[i] ?? 0) + n;
  });
  return into;
}

/**
 * The bucket bound at or above percentile `p` (0…100) of the lateness (`own`: of the shaper's own
 * part of it): an upper estimate, ms.
 */
export function latenessPercentile(books: ShaperBooks, p: number, own = false): number {
  const buckets = own ? books.ownLateness : books.lateness;
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= (p / 100) * total) return Math.min(LATENESS_BUCKETS_MS[i] ?? books.latenessMaxMs, books.latenessMaxMs);
  }
  return books.latenessMaxMs;
}

function bucketOf(ms: number): number {
  let i = 0;
  while (ms > (LATENESS_BUCKETS_MS[i] as number)) i++;
  return i;
}

interface Scheduled {
  chunk: Buffer;
  at: number;
}

const now = () => performance.now();

interface Due {
  at: number;
  direction: ShapedDirection;
  /** The direction's arming this entry stands for: an entry whose direction re-armed or stopped is stale. */
  token: number;
}

/**
 * One timer for every shaped direction of this thread: a binary min-heap of (due time, direction).
 * Each direction has at most one live entry (its next due delivery); re-arming or stopping makes the
 * old one stale, and stale entries are dropped when they reach the top.
 */
class DeliveryClock {
  private readonly heap: Due[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  /**
   * A drain is running, or was cut at SLICE_MS and continues on the next turn: it arms the timer
   * itself when it stops. A direction re-arming from inside a drain used to set the timer too, and
   * that timer started a second drain beside the first: two slices per turn, and a leftover one that
   * ran later (test/network/shaper.test.ts).
   */
  private draining = false;
  /** When the slice now running began. */
  private sliceSince = 0;
  /**
   * How long the earlier slices of the backlog now being delivered worked, ms. The turns between
   * slices are not counted: whatever ran then (or held the loop) is the loop's delay, not the
   * shaper's — counting them blamed a 40 ms block of the loop on the shaper (test/network/shaper.test.ts).
   */
  private earlierSlicesMs = 0;

  schedule(direction: ShapedDirection, at: number, token: number): void {
    this.push({ at, direction, token });
    if (!this.draining) this.arm();
  }

  private arm(): void {
    const next = this.heap[0];
    if (!next) return;
    if (this.timer && this.timerAt <= next.at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next.at;
    this.timer = setTimeout(() => this.drain(false), Math.max(0, next.at - now() - EARLY_MS));
  }

  private drain(resumed: boolean): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.draining = true;
    let cut = false;
    try {
      cut = this.deliverSlice(resumed);
    } finally {
      if (cut) {
        setImmediate(() => this.drain(true));
      } else {
        this.draining = false;
        this.arm();
      }
    }
  }

  /** Delivers what is due, earliest first, for at most SLICE_MS: true if it stopped with more due. */
  private deliverSlice(resumed: boolean): boolean {
    const started = now();
    this.sliceSince = started;
    if (!resumed) this.earlierSlicesMs = 0;
    for (;;) {
      const top = this.heap[0];
      if (!top) return false;
      if (top.token !== top.direction.clockToken) {
        this.pop();
        continue;
      }
      const t = now();
      if (top.at > t + EARLY_MS) return false;
      if (t - started >= SLICE_MS) {
        this.earlierSlicesMs += t - started;
        return true;
      }
      this.pop();
      top.direction.onClock();
    }
  }

  /**
   * The shaper's own part of the wait of a delivery due at `due` and made now (`t`): its work on this
   * backlog since `due` — all of this slice's since then, and of the earlier slices at most what fits
   * between `due` and this slice (all of it when `due` came before the backlog began).
   */
  ownWaitMs(due: number, t: number): number {
    const inThisSlice = t - Math.max(due, this.sliceSince);
    const inEarlierSlices = Math.min(this.earlierSlicesMs, Math.max(0, this.sliceSince - due));
    return Math.max(0, inThisSlice) + inEarlierSlices;
  }

  private push(entry: Due): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Due;
      if (p.at <= entry.at) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as Due).at < (heap[left] as Due).at ? right : left;
      if ((heap[child] as Due).at >= last.at) break;
      heap[i] = heap[child] as Due;
      i = child;
    }
    heap[i] = last;
  }
}

/** This thread's clock (a worker thread has its own module instance, so its own clock). */
const clock = new DeliveryClock();

/**
 * One direction of one connection. `push` bytes as they are read from the source; `deliver`
 * is called with them, in order, when the model says they arrive; `end` is delivered after them.
 */
export class ShapedDirection {
  private readonly queue: Scheduled[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** When this direction's live entry on the clock is due (infinity: none). */
  private clockAt = Number.POSITIVE_INFINITY;
  /** Which of its clock entries is live (DeliveryClock drops the others). */
  clockToken = 0;
  /** Token bucket: tokens (bytes, may go negative = debt) as of `bucketAt`. */
  private tokens = BURST_BYTES;
  private bucketAt = now();
  private lastDelivery = 0;
  private endAt: number | null = null;
  private stopped = false;
  /** Nothing to add (loopback, or an intermediary alone): bytes go on in the same turn. */
  private readonly instant: boolean;

  constructor(
    private readonly params: DirectionParams,
    private readonly random: () => number,
    private readonly deliver: (chunk: Buffer) => void,
    private readonly onEnd: () => void,
    private readonly books: ShaperBooks,
    /** Called with true when more than HIGH_WATER_BYTES wait, false when the queue has drained. */
    private readonly onPressure: (paused: boolean) => void = () => {},
  ) {
    this.instant = params.delayMs === 0 && params.jitterMs === 0 && params.kbps === 0 && params.lossPercent === 0;
  }

  /** Bytes scheduled and not yet delivered. */
  get pending(): number {
    return this.queuedBytes;
  }

  push(chunk: Buffer): void {
    if (this.stopped || this.endAt !== null) return;
    if (this.instant) {
      this.books.segments += Math.ceil(chunk.length / SEGMENT_BYTES);
      this.deliver(chunk);
      return;
    }
    const t = now();
    for (let offset = 0; offset < chunk.length; offset += SEGMENT_BYTES) {
      const segment = chunk.subarray(offset, Math.min(chunk.length, offset + SEGMENT_BYTES));
      this.schedule(segment, this.arrival(segment.length, t));
    }
    if (this.queuedBytes > HIGH_WATER_BYTES) this.onPressure(true);
    this.arm();
  }

  /** The source ended: deliver the end after everything queued (and one delay after now at least). */
  end(): void {
    if (this.stopped || this.endAt !== null) return;
    if (this.instant) {
      this.stopped = true;
      this.onEnd();
      return;
    }
    this.endAt = Math.max(now() + this.params.delayMs, this.lastDelivery);
    this.arm();
  }

  /** Forget everything queued and never call back again (a cut). */
  stop(): void {
    this.stopped = true;
    this.clockToken += 1;
    this.clockAt = Number.POSITIVE_INFINITY;
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
  }

  /** When a segment of `bytes` pushed at `t` arrives, by the model. */
  private arrival(bytes: number, t: number): number {
    const { kbps, delayMs, jitterMs, lossPercent, rtoMs } = this.params;
    let departure = t;
    if (kbps > 0) {
      const bytesPerMs = kbps / 8;
      this.tokens = Math.min(BURST_BYTES, this.tokens + (t - this.bucketAt) * bytesPerMs);
      this.bucketAt = t;
      this.tokens -= bytes;
      if (this.tokens < 0) departure = t - this.tokens / bytesPerMs;
    }
    let at = departure + delayMs;
    if (jitterMs > 0) at += (this.random() * 2 - 1) * jitterMs;
    this.books.segments += 1;
    if (lossPercent > 0 && this.random() * 100 < lossPercent) {
      at += rtoMs;
      this.books.stalls += 1;
    }
    return at;
  }

  private schedule(chunk: Buffer, arrival: number): void {
    const at = Math.max(arrival, this.lastDelivery);
    this.lastDelivery = at;
    this.queue.push({ chunk, at });
    this.queuedBytes += chunk.length;
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.head < this.queue.length ? (this.queue[this.head] as Scheduled).at : this.endAt;
    if (next === null) return;
    if (this.clockAt <= next) return;
    this.clockAt = next;
    this.clockToken += 1;
    clock.schedule(this, next, this.clockToken);
  }

  /** The clock says this direction's next delivery is due: deliver what is. */
  onClock(): void {
    this.clockAt = Number.POSITIVE_INFINITY;
    this.clockToken += 1;
    if (this.stopped) return;
    const t = now();
    const batch: Buffer[] = [];
    let due = Number.NaN;
    while (this.head < this.queue.length) {
      const item = this.queue[this.head] as Scheduled;
      if (item.at > t + EARLY_MS) break;
      if (Number.isNaN(due)) due = item.at;
      batch.push(item.chunk);
      this.queuedBytes -= item.chunk.length;
      this.head += 1;
    }
    // Drop what was delivered: a slot left behind keeps its Buffer alive. With thousands of
    // connections those dead Buffers filled the old generation, and its mark-compact pauses
    // (up to seconds) were the shaper's worst event-loop delays (scripts/bench/shaper.ts).
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (batch.length > 0) {
      this.record(t - due, clock.ownWaitMs(due, t));
      this.deliver(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch));
      if (this.queuedBytes <= HIGH_WATER_BYTES / 2) this.onPressure(false);
    }
    if (this.head >= this.queue.length && this.endAt !== null && this.endAt <= t + EARLY_MS) {
      this.stopped = true;
      this.onEnd();
      return;
    }
    this.arm();
  }

  private record(lateMs: number, ownMs: number): void {
    const late = Math.max(0, lateMs);
    const own = Math.min(late, Math.max(0, ownMs));
    const books = this.books;
    books.deliveries += 1;
    if (late > books.latenessMaxMs) books.latenessMaxMs = late;
    books.lateness[bucketOf(late)] = (books.lateness[bucketOf(late)] ?? 0) + 1;
    books.ownLateness[bucketOf(own)] = (books.ownLateness[bucketOf(own)] ?? 0) + 1;
  }
}
