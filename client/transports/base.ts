/**
 * What the four client transports share: options, state, the cursor rule, reconnects with
 * backoff, and the wire log. Each transport supplies `connect` (open with this cursor, or
 * live-only) and `teardown` (close quietly), and reports what happened through the protected
 * helpers here, so the cursor and reset rules live in one place.
 *
 * Stale callbacks: every connect, teardown and scheduled reconnect bumps `session`; a transport
 * captures the session it was opened with and ignores callbacks from an older one. That is what
 * makes `cut()` safe while a fetch, an EventSource or a socket is still winding down.
 */
import {
  CLIENT_PATTERN,
  EPOCH_PATTERN,
  type FeedMessage,
  isClientId,
  isCursor,
  type ResetNotice,
  type ResetReason,
  type TransportName,
} from '../../contract/index.js';
import { Backoff } from '../backoff.js';
import { defaultNow } from '../clock.js';
import { Emitter } from '../emitter.js';
import type {
  ClientState,
  Cursor,
  FeedClient,
  FeedClientError,
  FeedClientEvents,
  FeedClientOptions,
  LiveSettings,
  WireEntry,
} from './types.js';

export const DEFAULT_POLL_INTERVAL_MS = 1_000;

export abstract class BaseFeedClient extends Emitter<FeedClientEvents> implements FeedClient {
  abstract readonly transport: TransportName;
  /** The client's own copy: `configure()` is the one way to change it. */
  protected options: Readonly<FeedClientOptions>;
  protected readonly now: () => number;
  /** Bumped whenever the current connection is abandoned; see the file comment. */
  protected session = 0;

  private currentState: ClientState = 'idle';
  private currentCursor: Cursor | null;
  private readonly backoff: Backoff;
  /** The one timer a client ever has: poll interval, or backoff before a reconnect. */
  private timer: ReturnType<typeof setTimeout> | undefined;
  /**
   * The server rejected our cursor as being from its future (poll 400, WS 4400). We report it
   * as a 'future' reset, but only once a live-only answer tells where the feed really is.
   */
  private pendingFutureReset = false;

  constructor(options: FeedClientOptions) {
    super();
    validateOptions(options);
    this.options = { ...options };
    this.now = options.now ?? defaultNow;
    this.currentCursor = options.cursor === undefined ? null : { ...options.cursor };
    this.backoff = new Backoff(options.reconnect);
  }

  get state(): ClientState {
    return this.currentState;
  }

  get cursor(): Cursor | null {
    return this.currentCursor === null ? null : { ...this.currentCursor };
  }

  start(): void {
    if (this.currentState === 'closed') throw new Error(`${this.transport} client was stopped; create a new one`);
    if (this.currentState !== 'idle') return;
    this.open(this.currentCursor);
  }

  stop(): void {
    if (this.currentState === 'closed') return;
    this.clearTimer();
    this.session++;
    this.teardown();
    this.log('up', 'control', 'stop', 0);
    this.setState('closed');
  }

  configure(settings: LiveSettings): void {
    const next = { ...this.options, ...settings };
    validateOptions(next);
    this.options = next;
  }

  cut(): void {
    if (this.currentState === 'idle' || this.currentState === 'closed') return;
    this.log(
      'up',
      'control',
      `cut (${this.options.resume ? 'will resume from cursor' : 'will come back live-only'})`,
      0,
    );
    this.scheduleReconnect();
  }

  /* -------------------------------------------------------- for the transports */

  /** The server named the instance that answered (many serve one feed behind a balancer). */
  protected servedBy(instance: unknown): void {
    if (typeof instance === 'string' && instance !== '') this.emit('served', instance);
  }

  /** Open with `cursor` (null = live only). */
  protected abstract connect(cursor: Cursor | null, session: number): void;

  /** Close the current connection quietly: no events, no reconnect (the session is already stale). */
  protected abstract teardown(): void;

  protected isCurrent(session: number): boolean {
    return session === this.session && this.currentState !== 'closed';
  }

  /** Whether anybody reads the wire log; build summaries only then (they cost at high rates). */
  protected get tracing(): boolean {
    return this.listenerCount('wire') > 0;
  }

  protected log(direction: WireEntry['direction'], kind: WireEntry['kind'], summary: string, bytes: number): void {
    if (!this.tracing) return;
    this.emit('wire', { at: this.now(), direction, kind, summary, bytes });
  }

  protected setState(state: ClientState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }

  protected report(error: FeedClientError): void {
    this.emit('error', error);
  }

  /** The connection works (first answer, stream open, hello): the next failure retries fast again. */
  protected connected(): void {
    this.backoff.reset();
    this.setState('open');
  }

  /** Run `fn` after `ms` unless stopped or cut meanwhile. State shows `waiting` until then. */
  protected later(ms: number, fn: () => void): void {
    this.clearTimer();
    this.setState('waiting');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, ms);
  }

  /** Open a new connection now (new session). */
  protected open(cursor: Cursor | null): void {
    this.clearTimer();
    const session = ++this.session;
    this.setState('connecting');
    this.connect(cursor, session);
  }

  /**
   * The connection is gone (or cut): tear down, wait a full-jitter backoff, come back with the
   * cursor if `resume`, live-only otherwise (or live-only regardless, after a future cursor).
   */
  protected scheduleReconnect(options: { liveOnly?: boolean; minDelayMs?: number } = {}): void {
    this.session++;
    this.teardown();
    const delay = Math.max(this.backoff.next(), options.minDelayMs ?? 0);
    const liveOnly = options.liveOnly === true || !this.options.resume;
    this.log(
      'up',
      'control',
      `reconnect in ${Math.round(delay)} ms, ${liveOnly ? 'live-only' : 'with cursor'} (attempt ${this.backoff.attempt})`,
      0,
    );
    this.later(delay, () => this.open(liveOnly ? null : this.currentCursor));
  }

  /** Report an error and reconnect. */
  protected fail(error: FeedClientError, options: { liveOnly?: boolean; minDelayMs?: number } = {}): void {
    this.report(error);
    this.scheduleReconnect(options);
  }

  /** One feed message arrived. The cursor only moves forward within an epoch, so a server-side duplicate or reorder is shown to the audit but never makes us ask for the same messages again. */
  protected deliver(message: FeedMessage, raw: string, receivedAt: number, payloadBytes = utf8Length(raw)): void {
    const cursor = this.currentCursor;
    if (cursor === null || cursor.epoch !== message.epoch || message.seq > cursor.seq) {
      this.currentCursor = { epoch: message.epoch, seq: message.seq };
    }
    this.emit('message', message, raw, receivedAt, payloadBytes);
  }

  /** A reset notice: the messages that follow start at `notice.from` in `notice.epoch`. */
  protected applyReset(notice: ResetNotice): void {
    this.pendingFutureReset = false;
    this.currentCursor = { epoch: notice.epoch, seq: notice.from - 1 };
    this.emit('reset', notice);
  }

  /** The server said our cursor is ahead of its head. Forget it; the reset follows the live-only answer. */
  protected futureCursor(): void {
    this.pendingFutureReset = true;
    this.currentCursor = null;
  }

  /**
   * A live-only answer (no `since` was sent) says where the feed is: `next` is the first seq it
   * will deliver (its first message, or head + 1). Report a pending future cursor as a reset
   * from there, and take `(epoch, next − 1)` as the cursor.
   */
  protected liveAt(epoch: string, next: number): void {
    if (this.pendingFutureReset) {
      this.applyReset(makeReset('future', epoch, next));
      return;
    }
    this.currentCursor = { epoch, seq: next - 1 };
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

/* -------------------------------------------------------------- helpers */

function validateOptions(options: FeedClientOptions): void {
  try {
    new URL(options.baseUrl);
  } catch {
    throw new TypeError(`baseUrl must be an absolute URL, got ${JSON.stringify(options.baseUrl)}`);
  }
  if (!isClientId(options.clientId))
    throw new TypeError(`clientId must match ${CLIENT_PATTERN}, got ${JSON.stringify(options.clientId)}`);
  const cursor = options.cursor;
  if (cursor !== undefined && !isCursor(cursor)) {
    throw new TypeError(`cursor must be {epoch: ${EPOCH_PATTERN}, seq: integer >= 0}, got ${JSON.stringify(cursor)}`);
  }
  for (const [name, value] of [
    ['pollIntervalMs', options.pollIntervalMs],
    ['longPollTimeoutMs', options.longPollTimeoutMs],
    ['pollLimit', options.pollLimit],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      throw new TypeError(`${name} must be a non-negative number, got ${value}`);
  }
}

export function makeReset(reason: ResetReason, epoch: string, from: number): ResetNotice {
  return { reason, epoch, from };
}

/** `route?since=…&epoch=…&…&client=…[&name=…]` on `baseUrl`; the cursor only when there is one. */
export function buildUrl(
  options: Pick<FeedClientOptions, 'baseUrl' | 'clientId' | 'name'>,
  route: string,
  cursor: Cursor | null,
  extra: Record<string, string | number | undefined> = {},
): URL {
  const url = new URL(route, options.baseUrl);
  if (cursor !== null) {
    url.searchParams.set('since', String(cursor.seq));
    url.searchParams.set('epoch', cursor.epoch);
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) url.searchParams.set(key, String(value));
  url.searchParams.set('client', options.clientId);
  if (options.name !== undefined) url.searchParams.set('name', options.name);
  return url;
}

/** The path and query, for the wire log. */
export function pathOf(url: URL): string {
  return url.pathname + url.search;
}

/** UTF-8 byte length of a JS string, without allocating (TextEncoder would copy it). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3; // lone surrogate: encoded as U+FFFD
    } else bytes += 3;
  }
  return bytes;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A feed message as the contract says, or null. */
export function asFeedMessage(value: unknown): FeedMessage | null {
  if (!isObject(value)) return null;
  const { epoch, seq, ts } = value;
  if (typeof epoch !== 'string' || !Number.isSafeInteger(seq) || typeof ts !== 'number' || !('data' in value))
    return null;
  return value as unknown as FeedMessage;
}

const RESET_REASONS: readonly string[] = ['evicted', 'epoch', 'future'] satisfies ResetReason[];

/** A reset notice as the contract says (extra fields such as `type` ignored), or null. */
export function asResetNotice(value: unknown): ResetNotice | null {
  if (!isObject(value)) return null;
  const { reason, epoch, from, missed } = value;
  if (
    typeof reason !== 'string' ||
    !RESET_REASONS.includes(reason) ||
    typeof epoch !== 'string' ||
    !Number.isSafeInteger(from)
  )
    return null;
  if (missed !== undefined && !Number.isSafeInteger(missed)) return null;
  const notice: ResetNotice = { reason: reason as ResetReason, epoch, from: from as number };
  if (missed !== undefined) notice.missed = missed as number;
  return notice;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The server's error `code` (Fastify's JSON error shape), if the body has one. */
export function serverErrorCode(body: string): string | undefined {
  const parsed = parseJson(body);
  return isObject(parsed) && typeof parsed.code === 'string' ? parsed.code : undefined;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
