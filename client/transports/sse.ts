/**
 * Server-Sent Events: one long `GET /api/sse` response carrying `id: <epoch>:<seq>` +
 * `data: <message JSON>` events, `event: reset` notices and `:` heartbeats.
 *
 * With `resume` on, EventSource does the reconnecting itself: after `retry:` ms it asks again
 * with `Last-Event-ID: <epoch>:<seq>`, which the server honours over the query. With `resume`
 * off we must not let it: on the first error we close it (before its retry timer fires and it
 * sends Last-Event-ID) and open a new one without a cursor, after our own backoff.
 *
 * EventSource gives up for good on a non-200 answer or a wrong content type (readyState
 * CLOSED); then we reconnect ourselves, with the cursor in the query.
 */
import { ROUTES } from '../../contract/index.js';
import { asFeedMessage, asResetNotice, BaseFeedClient, buildUrl, parseJson, pathOf, utf8Length } from './base.js';
import {
  type Cursor,
  type EventSourceConstructorLike,
  type EventSourceLike,
  type EventSourceMessageEventLike,
  FeedClientError,
  type FeedClientOptions,
} from './types.js';

const CLOSED = 2;
/**
 * After an in-band `overload`, wait at least this long before coming back, unless the event
 * says otherwise (`{"retryMs": …}`). The server's `retry:` advice at overload is 10 s.
 */
const OVERLOAD_DELAY_MS = 10_000;

function overloadDelay(data: string): number {
  const parsed = parseJson(data);
  const advised = typeof parsed === 'object' && parsed !== null ? (parsed as { retryMs?: unknown }).retryMs : undefined;
  return typeof advised === 'number' && Number.isFinite(advised) && advised >= 0 ? advised : OVERLOAD_DELAY_MS;
}

function noop(): void {}

export class SseClient extends BaseFeedClient {
  readonly transport = 'sse' as const;
  private readonly EventSource: EventSourceConstructorLike;
  private source: EventSourceLike | undefined;

  constructor(options: FeedClientOptions) {
    super(options);
    if (options.EventSource === undefined) {
      throw new TypeError(
        "the sse transport needs options.EventSource (the browser's, or EventSource from 'eventsource' in Node)",
      );
    }
    this.EventSource = options.EventSource;
  }

  protected connect(cursor: Cursor | null, session: number): void {
    const url = buildUrl(this.options, ROUTES.sse, cursor);
    this.log('up', 'request', `GET ${pathOf(url)}`, 0);
    const source = new this.EventSource(url.toString());
    this.source = source;

    source.onopen = () => {
      if (!this.isCurrent(session)) return;
      this.log('down', 'response', '200 text/event-stream', 0);
      this.connected();
    };

    source.onmessage = (event: EventSourceMessageEventLike) => {
      if (!this.isCurrent(session)) return;
      const receivedAt = this.now();
      const raw = event.data;
      const message = asFeedMessage(parseJson(raw));
      if (message === null) {
        this.log('down', 'event', `message, not a feed message`, utf8Length(raw));
        this.report(new FeedClientError('PROTOCOL', `sse: event is not a feed message: ${raw.slice(0, 80)}`));
        return;
      }
      if (this.tracing)
        this.log(
          'down',
          'event',
          `message id ${event.lastEventId || `${message.epoch}:${message.seq}`}`,
          utf8Length(raw),
        );
      this.deliver(message, raw, receivedAt);
    };

    // SSE has no handshake: the server's first event says where the feed is. A live-only start
    // takes its cursor from it, so a drop before the first message still resumes, not skips.
    source.addEventListener('hello', (event) => {
      if (!this.isCurrent(session)) return;
      const hello = parseJson(event.data) as { epoch?: unknown; head?: unknown } | null;
      this.log('down', 'event', `hello ${event.data}`, utf8Length(event.data));
      this.servedBy((hello as { instance?: unknown } | null)?.instance);
      if (typeof hello?.epoch !== 'string' || !Number.isSafeInteger(hello.head)) {
        this.report(new FeedClientError('PROTOCOL', `sse: bad hello: ${event.data.slice(0, 80)}`));
        return;
      }
      if (this.cursor === null) this.liveAt(hello.epoch, (hello.head as number) + 1);
    });

    source.addEventListener('reset', (event) => {
      if (!this.isCurrent(session)) return;
      const notice = asResetNotice(parseJson(event.data));
      this.log(
        'down',
        'event',
        notice === null ? 'reset, unreadable' : `reset ${notice.reason} → ${notice.epoch}:${notice.from}`,
        utf8Length(event.data),
      );
      if (notice === null) {
        this.report(
          new FeedClientError('PROTOCOL', `sse: reset event is not a reset notice: ${event.data.slice(0, 80)}`),
        );
        return;
      }
      this.applyReset(notice);
    });

    source.addEventListener('overload', (event) => {
      if (!this.isCurrent(session)) return;
      this.log('down', 'event', `overload ${event.data}`.trim(), utf8Length(event.data));
      // The server is full (or shutting down) and ends the stream now. It advised a long
      // `retry:`, which EventSource applies but does not expose; come back later by our own
      // timer, so resume on and off wait alike.
      this.fail(new FeedClientError('OVERLOAD', `sse: server overloaded: ${event.data}`.trim()), {
        minDelayMs: overloadDelay(event.data),
      });
    });

    source.onerror = () => {
      if (!this.isCurrent(session)) return;
      if (source.readyState === CLOSED) {
        this.log('down', 'control', 'EventSource gave up (non-200 or not an event stream)', 0);
        this.fail(new FeedClientError('NETWORK', 'sse: EventSource closed the connection for good'));
      } else if (!this.options.resume) {
        // Close before EventSource's own retry fires: it would resume with Last-Event-ID.
        this.log('down', 'control', 'stream lost', 0);
        this.fail(new FeedClientError('NETWORK', 'sse: stream lost'));
      } else {
        this.log('down', 'control', 'stream lost; EventSource reconnects by itself with Last-Event-ID', 0);
        this.report(new FeedClientError('NETWORK', 'sse: stream lost, EventSource is reconnecting'));
        this.setState('connecting');
      }
    };
  }

  protected teardown(): void {
    const source = this.source;
    if (source === undefined) return;
    this.source = undefined;
    source.onopen = noop;
    source.onmessage = noop;
    source.onerror = noop;
    source.close();
  }
}
