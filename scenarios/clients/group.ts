/**
 * One group of simulated clients: N clients of the shared client library (client/) of one
 * transport, all connecting through the group's own byte-counting proxy. Each client has its
 * own delivery audit; the group logs every distinct delivery (scenarios/delivery-log.ts) and
 * counts its own HTTP requests at the injection its transport's file in this folder gives the
 * clients (fetch / EventSource / WebSocket / io), independent of the server's accounting. It runs
 * in a worker thread of its own (scenarios/group-worker.ts). Nothing here names a transport.
 */
import { type EventLoopUtilization, performance as perfHooks } from 'node:perf_hooks';
import { DeliveryAudit } from '../../client/audit.js';
import { defaultNow } from '../../client/clock.js';
import {
  type Cursor,
  createClient,
  type FeedClient,
  type FeedClientError,
  type FeedClientOptions,
} from '../../client/transports/index.js';
import type { FeedMessage, ResetNotice } from '../../contract/index.js';
import { addBooks, emptyBooks, type ShaperBooks } from '../../tools/shaper.js';
import type { ProxyTotals, TcpProxy } from '../../tools/tcp-proxy.js';
import { clientId, type GroupSpec } from '../define.js';
import { DeliveryLog } from '../delivery-log.js';
import type { EpochRange } from '../feed-window.js';
import { loopDelayMonitor, loopDelayMs } from '../loop-delay.js';
import { type FetchChoice, type RequestCounts, SCENARIO_CLIENTS } from './index.js';

export type { FetchChoice, RequestCounts };

interface Tracked {
  id: string;
  client: FeedClient;
  audit: DeliveryAudit;
  /** Set at a fault: the publish time after which the next message means "back to live". */
  recoverAfter: number | null;
}

/** Counters that are differences between two moments (the window's start and its drain's end). */
export interface GroupSnapshot {
  /** When it was taken, this thread's clock (ms since the Unix epoch, as `receivedAt`). */
  at: number;
  proxy: ProxyTotals;
  counts: RequestCounts;
  audit: AuditTotals;
}

export interface AuditTotals {
  duplicates: number;
  reordered: number;
  resets: number;
  /** Losses the clients could tell by themselves (seq holes, `missed` of resets). */
  lostDetected: number;
}

/** What a group saw over the window: plain data, it crosses from the worker to the runner. */
export interface GroupResult {
  expected: number;
  delivered: number;
  /** Distinct messages received while the counters ran, and their JSON bytes. */
  countedMessages: number;
  countedPayloadBytes: number;
  latency: { count: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  histogram: string;
  negativeAges: number;
  payloadBytes: number;
  timeline: number[];
  recoveries: number[];
  errors: Record<string, number>;
  /** Event-loop delay of this group's thread while measuring, ms. */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** The shaping proxy's books over the window (segments, stalls, lateness of its deliveries). */
  shaper: ShaperBooks;
  /** Connections the network's idle timeout cut over the window. */
  idleCuts: number;
  /** Share of the window this group's thread (its clients and its shaping proxy) was busy, 0…1. */
  threadBusyShare: number;
}

export class ClientGroup {
  readonly counts: RequestCounts = { requests: 0, emptyResponses: 0 };
  private readonly log = new DeliveryLog();
  /** Time from each fault to the first message published after it, per client, ms. */
  private readonly recoveries: number[] = [];
  private readonly errors: Record<string, number> = {};
  private readonly tracked: Tracked[] = [];
  private startTimers: ReturnType<typeof setTimeout>[] = [];
  private readonly loopDelay = loopDelayMonitor();
  /** The proxy's books and idle cuts at the window's opening, and what was added until it closed. */
  private shaperFrom: ShaperBooks = emptyBooks();
  private shaperWindow: ShaperBooks = emptyBooks();
  private idleCutsFrom = 0;
  private idleCutsWindow = 0;
  private eluFrom: EventLoopUtilization | null = null;
  private busyShare = 0;

  constructor(
    readonly spec: GroupSpec,
    readonly proxy: TcpProxy,
    /** Where every client starts: the feed's head when the group was made, so a client that
     * connects late still gets everything after it, and the window can never open before a
     * client is listening. */
    startCursor: Cursor,
    private readonly fetchChoice: FetchChoice = 'node-http',
  ) {
    const options = { ...this.options(), cursor: startCursor };
    for (let i = 0; i < spec.count; i++) {
      const id = clientId(spec, i);
      const client = createClient(spec.transport, { ...options, clientId: id });
      const tracked: Tracked = { id, client, audit: new DeliveryAudit(), recoverAfter: null };
      client.on('message', (message, _raw, receivedAt, bytes) => this.onMessage(tracked, message, bytes, receivedAt));
      client.on('reset', (notice: ResetNotice) => tracked.audit.reset(notice));
      client.on('error', (error: FeedClientError) => {
        this.errors[error.code] = (this.errors[error.code] ?? 0) + 1;
      });
      this.tracked.push(tracked);
    }
  }

  get ids(): string[] {
    return this.tracked.map((t) => t.id);
  }

  /** Start every client, spread evenly over `startSpreadMs`; resolves once the last has started. */
  start(): Promise<void> {
    const { count, startSpreadMs } = this.spec;
    return new Promise((resolve) => {
      let started = 0;
      this.tracked.forEach((t, i) => {
        const timer = setTimeout(
          () => {
            t.client.start();
            started += 1;
            if (started === count) resolve();
          },
          (startSpreadMs * i) / count,
        );
        this.startTimers.push(timer);
      });
    });
  }

  stop(): void {
    for (const timer of this.startTimers) clearTimeout(timer);
    this.startTimers = [];
    for (const t of this.tracked) t.client.stop();
  }

  /** A fault happened at `at` (ms, same clock as `ts`): time each client's way back to live. */
  markFault(at: number): void {
    for (const t of this.tracked) t.recoverAfter = at;
  }

  /** Every client holds the feed up to `head` of `epoch`. */
  caughtUp(epoch: string, head: number): boolean {
    return this.tracked.every((t) => {
      const cursor = t.client.cursor;
      return cursor !== null && cursor.epoch === epoch && cursor.seq >= head;
    });
  }

  /** How many clients are connected (or polling) now. */
  get openClients(): number {
    return this.tracked.filter((t) => t.client.state === 'open' || t.client.state === 'waiting').length;
  }

  snapshot(): GroupSnapshot {
    return { at: defaultNow(), proxy: this.proxy.totals, counts: { ...this.counts }, audit: this.auditTotals() };
  }

  auditTotals(): AuditTotals {
    const totals: AuditTotals = { duplicates: 0, reordered: 0, resets: 0, lostDetected: 0 };
    for (const t of this.tracked) {
      const s = t.audit.snapshot();
      totals.duplicates += s.duplicates;
      totals.reordered += s.reordered;
      totals.resets += s.resets;
      totals.lostDetected += s.lost;
    }
    return totals;
  }

  /** Event-loop delay is recorded between these two (the window and its drain). */
  measuring(on: boolean): void {
    if (on) {
      this.loopDelay.enable();
      this.shaperFrom = addBooks(emptyBooks(), this.proxy.shaper);
      this.idleCutsFrom = this.proxy.idleCutCount;
      this.eluFrom = perfHooks.eventLoopUtilization();
    } else {
      this.loopDelay.disable();
      this.shaperWindow = subtractBooks(this.proxy.shaper, this.shaperFrom);
      this.idleCutsWindow = this.proxy.idleCutCount - this.idleCutsFrom;
      if (this.eluFrom) this.busyShare = perfHooks.eventLoopUtilization(this.eluFrom).utilization;
    }
  }

  /** Over the window's closed ranges: what each client should have had, what it had, how late. */
  result(ranges: EpochRange[], startedAt: number, countFrom: number, countTo: number): GroupResult {
    let expected = 0;
    let delivered = 0;
    for (const range of ranges) {
      for (const t of this.tracked) {
        const c = t.audit.expectedFrom(range.lo + 1, range.hi, range.epoch);
        expected += c.expected;
        delivered += c.delivered;
      }
    }
    const w = this.log.windowed(ranges, startedAt);
    const counted = this.log.between(countFrom, countTo);
    return {
      expected,
      delivered,
      countedMessages: counted.count,
      countedPayloadBytes: counted.payloadBytes,
      latency: w.latency.summary(),
      histogram: w.latency.encode(),
      negativeAges: w.latency.negative,
      payloadBytes: w.payloadBytes,
      timeline: w.timeline,
      recoveries: [...this.recoveries],
      errors: { ...this.errors },
      loopDelayMs: loopDelayMs(this.loopDelay),
      shaper: this.shaperWindow,
      idleCuts: this.idleCutsWindow,
      threadBusyShare: this.busyShare,
    };
  }

  private onMessage(t: Tracked, message: FeedMessage, payloadBytes: number, receivedAt: number): void {
    const verdict = t.audit.record(message);
    if (t.recoverAfter !== null && message.ts >= t.recoverAfter) {
      this.recoveries.push(receivedAt - t.recoverAfter);
      t.recoverAfter = null;
    }
    if (verdict === 'duplicate') return;
    this.log.add(message.epoch, message.seq, receivedAt - message.ts, payloadBytes, receivedAt);
  }

  /** The client options of this group: the proxy's URL, and injections that count requests. */
  private options(): Omit<FeedClientOptions, 'clientId'> {
    const { spec, counts } = this;
    const wait = spec.reconnectWaitMs;
    // An explicit wait: the first retry after exactly `wait` ms (the ceiling, no jitter), then doubling.
    const reconnect =
      wait === undefined ? {} : { reconnect: { baseMs: wait, capMs: Math.max(wait, 10_000), random: () => 1 } };
    return {
      baseUrl: this.proxy.url,
      resume: spec.resume,
      ...reconnect,
      ...SCENARIO_CLIENTS[spec.transport].options(spec, counts, this.fetchChoice),
    };
  }
}

function subtractBooks(now: ShaperBooks, from: ShaperBooks): ShaperBooks {
  return {
    segments: now.segments - from.segments,
    stalls: now.stalls - from.stalls,
    deliveries: now.deliveries - from.deliveries,
    lateness: now.lateness.map((n, i) => n - (from.lateness[i] ?? 0)),
    // The largest lateness over the run so far (a maximum cannot be subtracted).
    latenessMaxMs: now.latenessMaxMs,
    ownLateness: now.ownLateness.map((n, i) => n - (from.ownLateness[i] ?? 0)),
  };
}
