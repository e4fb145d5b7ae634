/**
 * The built-in source of the feed: publishes `rate` messages per second of about `payloadBytes`
 * bytes each (the whole message JSON), steadily or in bursts. It catches up by count rather than
 * trusting timer precision, so 1 000 msg/s means 1 000 msg/s even with 4 ms timers.
 */
import {
  envelopeBytes,
  FEED_LIMITS,
  type FeedMode,
  type FeedSettings,
  isFeedMode,
  isFeedRate,
  isPayloadBytes,
} from '../../contract/index.js';
import type { Feed } from './feed.js';

/** How many messages one bursty tick releases at once. */
const BURST_SIZE = 10;
/** Never publish more than this many messages in one timer turn (a stalled loop must not flood). */
const MAX_CATCH_UP = 1_000;
/**
 * Behind by more than this much of the schedule, the ticker forgets the backlog instead of
 * catching up: an overloaded server publishes slower than asked rather than in floods. (The 30-min
 * soak, docs/reliability.md, saw the old rule — catch up to 1 000 messages — publish 50 s of
 * backlog to ~950 streams in one turn: the loop did no I/O for tens of seconds.)
 */
const MAX_BEHIND_S = 1;
/** A turn that has published for this long yields (the next turn is due at once), so I/O runs between. */
const TURN_BUDGET_MS = 20;

export interface TickerState {
  rate: number;
  payloadBytes: number;
  mode: FeedMode;
  running: boolean;
}

export class Ticker {
  private state: TickerState;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private published = 0;
  private counter = 0;
  /** Bumped by every restart, so a tick in progress notices it was stopped or changed meanwhile. */
  private generation = 0;
  /**
   * Behind a broker, many instances share one feed and only the one holding the ticker lease
   * publishes (server/feed/redis-backend.ts); the others keep the settings and stay quiet.
   */
  private active = true;
  private publishOne: (data: unknown) => unknown;

  constructor(
    private readonly feed: Feed,
    initial: TickerState,
  ) {
    const { rate, payloadBytes, mode, running } = initial;
    this.state = { rate, payloadBytes, mode, running };
    this.publishOne = (data) => feed.publish(data);
    if (this.state.running) this.restart();
  }

  /** Publish through a backend instead of straight into the feed. */
  publishVia(publish: (data: unknown) => unknown): void {
    this.publishOne = publish;
  }

  /** Whether this instance's ticker publishes (see `active`). */
  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    this.restart();
  }

  get isActive(): boolean {
    return this.active;
  }

  get settings(): TickerState {
    return { ...this.state };
  }

  update(settings: FeedSettings): TickerState {
    this.state = { ...this.state, ...settings };
    this.restart();
    return this.settings;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The data of one tick, padded so the whole message JSON is about `payloadBytes` long. */
  makeData(): { kind: 'tick'; n: number; pad: string } {
    this.counter += 1;
    const data = { kind: 'tick' as const, n: this.counter, pad: '' };
    const base = envelopeBytes(this.feed.epoch, this.feed.head + 1) + JSON.stringify(data).length;
    data.pad = 'x'.repeat(Math.max(0, this.state.payloadBytes - base));
    return data;
  }

  private restart(): void {
    this.stop();
    this.generation += 1;
    this.startedAt = performance.now();
    this.published = 0;
    if (!this.active || !this.state.running || this.state.rate <= 0) return;
    this.schedule();
  }

  private schedule(): void {
    const { rate, mode } = this.state;
    const batch = mode === 'bursty' ? BURST_SIZE : 1;
    // Time until the next batch is due, by count: drift does not accumulate.
    const nextDueMs = ((this.published + batch) / rate) * 1000;
    const wait = Math.max(0, nextDueMs - (performance.now() - this.startedAt));
    this.timer = setTimeout(() => this.tick(), Math.min(wait, 2 ** 31 - 1));
    this.timer.unref();
  }

  private tick(): void {
    const { rate, mode } = this.state;
    const turnStart = performance.now();
    const elapsedS = (turnStart - this.startedAt) / 1000;
    let due = Math.floor(elapsedS * rate) - this.published;
    if (mode === 'bursty') due -= due % BURST_SIZE;
    const limit = Math.max(BURST_SIZE, Math.min(MAX_CATCH_UP, Math.ceil(rate * MAX_BEHIND_S)));
    const behind = due > limit;
    due = Math.min(due, limit);
    const generation = this.generation;
    let done = 0;
    while (done < due) {
      this.publishOne(this.makeData());
      done += 1;
      // A subscriber may stop or change the ticker from inside publish: honour it at once.
      if (this.generation !== generation) return;
      // Out of budget: the rest is published next turn, after the loop has done its I/O (a burst stays whole).
      if (performance.now() - turnStart > TURN_BUDGET_MS && (mode !== 'bursty' || done % BURST_SIZE === 0)) break;
    }
    this.published += done;
    if (behind) {
      // We fell behind by more than a turn can fix: forget the backlog rather than flood.
      this.startedAt = performance.now();
      this.published = 0;
    }
    this.schedule();
  }
}

export function validateSettings(body: unknown): FeedSettings {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('body must be an object');
  const input = body as Record<string, unknown>;
  const out: FeedSettings = {};
  for (const key of Object.keys(input)) {
    if (!['rate', 'payloadBytes', 'mode', 'running'].includes(key)) throw new Error(`unknown field ${key}`);
  }
  if ('rate' in input) {
    const rate = input.rate;
    if (!isFeedRate(rate)) {
      throw new Error(`rate must be a number of messages/s within 0…${FEED_LIMITS.maxRate}`);
    }
    out.rate = rate;
  }
  if ('payloadBytes' in input) {
    const bytes = input.payloadBytes;
    if (!isPayloadBytes(bytes)) {
      throw new Error(
        `payloadBytes must be an integer within ${FEED_LIMITS.minPayloadBytes}…${FEED_LIMITS.maxPayloadBytes}`,
      );
    }
    out.payloadBytes = bytes;
  }
  if ('mode' in input) {
    if (!isFeedMode(input.mode)) throw new Error('mode must be "steady" or "bursty"');
    out.mode = input.mode;
  }
  if ('running' in input) {
    if (typeof input.running !== 'boolean') throw new Error('running must be true or false');
    out.running = input.running;
  }
  return out;
}
