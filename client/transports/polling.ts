/**
 * What short and long polling share: one GET that answers `{epoch, head, messages, reset?}`.
 * The two differ only in what they add to the query and in what they do after an answer
 * (short-poll waits its interval, long-poll asks again at once).
 *
 * A poll body is one JSON document, so its messages' receive time is when the whole body was
 * read; and `raw` is each message re-serialized (see FeedClientEvents.message).
 */
import { ERROR_CODES, type FeedMessage, POLL_LIMIT, type PollResponse } from '../../contract/index.js';
import {
  asFeedMessage,
  asResetNotice,
  BaseFeedClient,
  buildUrl,
  describe,
  parseJson,
  pathOf,
  serverErrorCode,
  utf8Length,
} from './base.js';
import { type Cursor, FeedClientError, type FeedClientOptions, type FetchLike } from './types.js';

export abstract class PollingClient extends BaseFeedClient {
  protected abstract readonly route: string;
  private readonly fetch: FetchLike;
  private inflight: AbortController | undefined;

  constructor(options: FeedClientOptions) {
    super(options);
    if (options.fetch === undefined)
      throw new TypeError('this transport needs options.fetch (globalThis.fetch in Node ≥ 18 and browsers)');
    this.fetch = options.fetch;
  }

  /** Extra query parameters (`limit`, `timeout`). */
  protected abstract query(): Record<string, number | undefined>;

  /** Give up on an answer after this long: a dead connection must not hang the client. */
  protected abstract requestTimeoutMs(): number;

  /** After an answer that was not full: poll again now, or later. */
  protected abstract next(session: number): void;

  /** The most messages one answer carries; a full answer means there may be more. */
  protected limit(): number {
    return POLL_LIMIT.default;
  }

  protected connect(cursor: Cursor | null, session: number): void {
    this.poll(cursor, session);
  }

  protected teardown(): void {
    this.inflight?.abort();
    this.inflight = undefined;
  }

  protected poll(cursor: Cursor | null, session: number): void {
    if (!this.isCurrent(session)) return;
    if (this.state === 'waiting') this.setState('open');
    void this.request(cursor, session);
  }

  private async request(cursor: Cursor | null, session: number): Promise<void> {
    const url = buildUrl(this.options, this.route, cursor, this.query());
    const controller = new AbortController();
    this.inflight = controller;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.requestTimeoutMs());
    this.log('up', 'request', `GET ${pathOf(url)}`, 0);

    let status: number;
    let text: string;
    let receivedAt: number;
    try {
      // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
      const fetch = this.fetch;
      const response = await fetch(url.toString(), { signal: controller.signal, cache: 'no-store' });
      status = response.status;
      this.servedBy(response.headers?.get('x-lab-instance'));
      text = await response.text();
      receivedAt = this.now();
    } catch (error) {
      if (!this.isCurrent(session)) return; // aborted by stop() or cut(): expected
      this.log('down', 'response', timedOut ? 'timed out' : `failed: ${describe(error)}`, 0);
      this.fail(
        timedOut
          ? new FeedClientError('TIMEOUT', `${this.route}: no answer in ${this.requestTimeoutMs()} ms`)
          : new FeedClientError('NETWORK', `${this.route}: ${describe(error)}`, { cause: error }),
      );
      return;
    } finally {
      clearTimeout(timer);
      if (this.inflight === controller) this.inflight = undefined;
    }
    if (!this.isCurrent(session)) return;

    if (status !== 200) {
      const code = serverErrorCode(text);
      this.log('down', 'response', `${status}${code === undefined ? '' : ` ${code}`}`, utf8Length(text));
      if (status === 400 && code === ERROR_CODES.futureCursor && cursor !== null) {
        // Our cursor is ahead of the server's head: it cannot be honoured. Go live-only at
        // once; the live answer tells where the feed is, and we report the jump as a reset.
        this.futureCursor();
        this.poll(null, session);
        return;
      }
      this.fail(
        new FeedClientError('HTTP', `${this.route} answered ${status}${code === undefined ? '' : ` (${code})`}`, {
          status,
          serverCode: code,
        }),
      );
      return;
    }

    const body = asPollResponse(parseJson(text));
    if (body === null) {
      this.log('down', 'response', '200, not a poll answer', utf8Length(text));
      this.fail(
        new FeedClientError('PROTOCOL', `${this.route}: answer is not {epoch, head, messages}: ${text.slice(0, 80)}`),
      );
      return;
    }
    if (this.tracing) this.log('down', 'response', summarize(body), utf8Length(text));
    this.connected();
    if (body.reset !== undefined) this.applyReset(body.reset);
    else if (cursor === null) this.liveAt(body.epoch, body.messages[0]?.seq ?? body.head + 1);
    for (const message of body.messages) {
      if (!this.isCurrent(session)) return; // a listener stopped or cut us
      this.deliver(message, JSON.stringify(message), receivedAt);
    }
    if (!this.isCurrent(session)) return;
    if (body.messages.length >= this.limit())
      this.poll(this.cursor, session); // there may be more
    else this.next(session);
  }
}

function summarize(body: PollResponse): string {
  const parts = ['200'];
  if (body.reset !== undefined) parts.push(`reset ${body.reset.reason} → ${body.reset.epoch}:${body.reset.from}`);
  const n = body.messages.length;
  if (n === 0) parts.push('empty');
  else {
    const first = body.messages[0] as FeedMessage;
    const last = body.messages[n - 1] as FeedMessage;
    parts.push(n === 1 ? `1 message #${first.seq}` : `${n} messages #${first.seq}…${last.seq}`);
  }
  parts.push(`head ${body.epoch}:${body.head}`);
  return parts.join(' · ');
}

export function asPollResponse(value: unknown): PollResponse | null {
  if (typeof value !== 'object' || value === null) return null;
  const { epoch, head, messages, reset } = value as Record<string, unknown>;
  if (typeof epoch !== 'string' || !Number.isSafeInteger(head) || !Array.isArray(messages)) return null;
  const parsed: FeedMessage[] = [];
  for (const item of messages) {
    const message = asFeedMessage(item);
    if (message === null) return null;
    parsed.push(message);
  }
  const body: PollResponse = { epoch, head: head as number, messages: parsed };
  if (reset !== undefined && reset !== null) {
    const notice = asResetNotice(reset);
    if (notice === null) return null;
    body.reset = notice;
  }
  return body;
}
