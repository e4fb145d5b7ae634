/**
 * WebSocket: one `GET /api/ws` upgrade, then text frames both ways. The server sends a
 * `hello` control frame first, then a `reset` if the cursor could not be honoured, then the
 * backlog, then live messages — each feed message one frame holding the message JSON, no
 * `type`. The client may send `publish` (into the feed) and `echo` (bounced back unchanged:
 * a round-trip probe on the very socket the feed uses).
 *
 * Close codes (DESIGN.md §3) and what we do:
 *   1000, 1008, 1009, 1012 (server restart), 4001 (slow consumer), 1006 (no close frame) →
 *     reconnect with backoff, with the cursor if `resume`;
 *   4429 (rate) → the same, but not before OVERLOAD_MIN_DELAY_MS;
 *   4400 (bad cursor/request) → if it was our cursor, report a 'future' reset once the
 *     live-only hello says where the feed is, and come back live-only.
 */
import { CLOSE_CODES, ERROR_CODES, ROUTES } from '../../contract/index.js';
import { asFeedMessage, asResetNotice, BaseFeedClient, buildUrl, parseJson, pathOf, utf8Length } from './base.js';
import {
  type Cursor,
  FeedClientError,
  type FeedClientOptions,
  type WebSocketCloseEventLike,
  type WebSocketConstructorLike,
  type WebSocketLike,
  type WebSocketMessageEventLike,
} from './types.js';

const CONNECTING = 0;
const OPEN = 1;
/** After a 4429 (too many messages from us), wait at least this long. */
const OVERLOAD_MIN_DELAY_MS = 1_000;
const DEFAULT_ECHO_TIMEOUT_MS = 10_000;

interface PendingEcho {
  sentAt: number;
  resolve: (rttMs: number) => void;
  reject: (error: FeedClientError) => void;
  timer: ReturnType<typeof setTimeout>;
}

function noop(): void {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class WebSocketClient extends BaseFeedClient {
  readonly transport = 'websocket' as const;
  private readonly WebSocket: WebSocketConstructorLike;
  private socket: WebSocketLike | undefined;
  /** The cursor the current socket was opened with (null = live only). */
  private sentCursor: Cursor | null = null;
  /** What the current socket said went wrong, to explain its close. */
  private lastServerError: string | undefined;
  private lastSocketError: string | undefined;
  private readonly echoes = new Map<string, PendingEcho>();
  private echoCount = 0;

  constructor(options: FeedClientOptions) {
    super(options);
    if (options.WebSocket === undefined) {
      throw new TypeError(
        "the websocket transport needs options.WebSocket (the browser's, or WebSocket from 'ws' in Node)",
      );
    }
    this.WebSocket = options.WebSocket;
  }

  /** Publish `data` into the feed through this socket. Throws (NOT_OPEN) unless the socket is open. */
  publish(data: unknown): void {
    const socket = this.openSocket();
    const frame = JSON.stringify({ type: 'publish', data });
    socket.send(frame);
    this.log('up', 'frame', 'publish', utf8Length(frame));
  }

  /**
   * Send an `echo` frame and resolve with its round trip in ms (this client's `now`), measured
   * on the socket that carries the feed, so it queues behind the feed's frames as they do.
   */
  sendEcho(payload?: unknown, timeoutMs = DEFAULT_ECHO_TIMEOUT_MS): Promise<number> {
    let socket: WebSocketLike;
    try {
      socket = this.openSocket();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = String(++this.echoCount);
    const frame = JSON.stringify(payload === undefined ? { type: 'echo', id } : { type: 'echo', id, payload });
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.echoes.delete(id);
        reject(new FeedClientError('TIMEOUT', `websocket: no echo in ${timeoutMs} ms`));
      }, timeoutMs);
      this.echoes.set(id, { sentAt: this.now(), resolve, reject, timer });
      socket.send(frame);
      this.log('up', 'control', `echo #${id}`, utf8Length(frame));
    });
  }

  protected connect(cursor: Cursor | null, session: number): void {
    const url = buildUrl(this.options.baseUrl, ROUTES.websocket, this.options.clientId, cursor);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.sentCursor = cursor;
    this.lastServerError = undefined;
    this.lastSocketError = undefined;
    this.log('up', 'request', `GET ${pathOf(url)} (upgrade)`, 0);
    const socket = new this.WebSocket(url.toString());
    this.socket = socket;

    socket.onopen = () => {
      if (!this.isCurrent(session)) return;
      // Stay 'connecting' until the hello: only then do we know the server took our cursor.
      this.log('down', 'response', '101 Switching Protocols', 0);
    };
    socket.onmessage = (event: WebSocketMessageEventLike) => {
      if (!this.isCurrent(session)) return;
      const receivedAt = this.now();
      this.onFrame(event.data, receivedAt, cursor, session);
    };
    socket.onerror = (event: unknown) => {
      if (!this.isCurrent(session)) return;
      // A close always follows; keep what ws said (browsers say nothing) to explain it.
      const message = isRecord(event) && typeof event.message === 'string' ? event.message : undefined;
      this.lastSocketError = message ?? 'WebSocket error';
    };
    socket.onclose = (event: WebSocketCloseEventLike) => {
      if (!this.isCurrent(session)) return;
      this.onClose(event.code, event.reason);
    };
  }

  protected teardown(): void {
    this.rejectEchoes('websocket closed');
    const socket = this.socket;
    if (socket === undefined) return;
    this.socket = undefined;
    socket.onopen = noop;
    socket.onmessage = noop;
    socket.onclose = noop;
    // Keep an error handler: ws emits 'error' when closed before the handshake completes,
    // and an unhandled 'error' would crash a Node process.
    socket.onerror = noop;
    if (socket.readyState === CONNECTING || socket.readyState === OPEN) socket.close(CLOSE_CODES.normal);
  }

  private onFrame(data: unknown, receivedAt: number, cursor: Cursor | null, session: number): void {
    if (typeof data !== 'string') {
      this.log('down', 'frame', 'binary frame (unexpected)', 0);
      this.report(new FeedClientError('PROTOCOL', 'websocket: binary frame; the feed is text'));
      return;
    }
    const parsed = parseJson(data);
    if (!isRecord(parsed)) {
      this.log('down', 'frame', 'not JSON', utf8Length(data));
      this.report(new FeedClientError('PROTOCOL', `websocket: frame is not a JSON object: ${data.slice(0, 80)}`));
      return;
    }
    if (!('type' in parsed)) {
      const message = asFeedMessage(parsed);
      if (message === null) {
        this.log('down', 'frame', 'not a feed message', utf8Length(data));
        this.report(new FeedClientError('PROTOCOL', `websocket: frame is not a feed message: ${data.slice(0, 80)}`));
        return;
      }
      if (this.tracing) this.log('down', 'frame', `message #${message.seq}`, utf8Length(data));
      this.deliver(message, data, receivedAt);
      return;
    }
    const bytes = utf8Length(data);
    switch (parsed.type) {
      case 'hello': {
        const { epoch, head } = parsed;
        if (typeof epoch !== 'string' || !Number.isSafeInteger(head)) {
          this.log('down', 'control', 'hello, unreadable', bytes);
          this.report(new FeedClientError('PROTOCOL', `websocket: bad hello: ${data.slice(0, 80)}`));
          return;
        }
        this.log('down', 'control', `hello ${epoch}:${head as number}`, bytes);
        this.servedBy((parsed as { instance?: unknown }).instance);
        this.connected();
        if (cursor === null && this.isCurrent(session)) this.liveAt(epoch, (head as number) + 1);
        return;
      }
      case 'reset': {
        const notice = asResetNotice(parsed);
        this.log(
          'down',
          'control',
          notice === null ? 'reset, unreadable' : `reset ${notice.reason} → ${notice.epoch}:${notice.from}`,
          bytes,
        );
        if (notice === null) this.report(new FeedClientError('PROTOCOL', `websocket: bad reset: ${data.slice(0, 80)}`));
        else this.applyReset(notice);
        return;
      }
      case 'echo': {
        const id = parsed.id;
        this.log('down', 'control', `echo #${String(id)}`, bytes);
        const pending = typeof id === 'string' ? this.echoes.get(id) : undefined;
        if (pending !== undefined && typeof id === 'string') {
          this.echoes.delete(id);
          clearTimeout(pending.timer);
          pending.resolve(receivedAt - pending.sentAt);
        }
        return;
      }
      case 'error': {
        const code = typeof parsed.code === 'string' ? parsed.code : undefined;
        const text = typeof parsed.message === 'string' ? parsed.message : data;
        this.lastServerError = code;
        this.log('down', 'control', `error ${code ?? ''} ${text}`.trim(), bytes);
        this.report(
          new FeedClientError('SERVER', `websocket: server says ${code ?? 'error'}: ${text}`, { serverCode: code }),
        );
        return;
      }
      default:
        this.log('down', 'control', `unknown control frame ${String(parsed.type)}`, bytes);
    }
  }

  private onClose(code: number, reason: string): void {
    this.log('down', 'control', `close ${code}${reason ? ` ${reason}` : ''}`, 0);
    const detail = `websocket closed ${code}${reason ? ` (${reason})` : ''}${this.lastSocketError ? `: ${this.lastSocketError}` : ''}`;
    if (code === CLOSE_CODES.badRequest) {
      // DESIGN.md §2: the one 4400 a well-formed cursor earns is "since > head" (malformed
      // input we never send). Trust what the server states, in its close reason or an error
      // frame; absent a statement, that is the reason.
      const said = `${reason} ${this.lastServerError ?? ''}`;
      const stated = /LAB_[A-Z_]+/.exec(said)?.[0] ?? (/bad cursor/i.test(said) ? ERROR_CODES.badCursor : undefined);
      const future = this.sentCursor !== null && (stated === undefined || stated === ERROR_CODES.futureCursor);
      const cursorRejected = future || (this.sentCursor !== null && stated === ERROR_CODES.badCursor);
      if (future) this.futureCursor();
      this.fail(new FeedClientError('CLOSED', detail, { closeCode: code, serverCode: stated }), {
        liveOnly: cursorRejected,
      });
      return;
    }
    if (code === CLOSE_CODES.rate) {
      this.fail(new FeedClientError('OVERLOAD', detail, { closeCode: code }), { minDelayMs: OVERLOAD_MIN_DELAY_MS });
      return;
    }
    // 1006 after a failed handshake or a dropped TCP connection is a network error; anything
    // else the server chose to close with.
    this.fail(new FeedClientError(code === 1006 ? 'NETWORK' : 'CLOSED', detail, { closeCode: code }));
  }

  private openSocket(): WebSocketLike {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== OPEN)
      throw new FeedClientError('NOT_OPEN', 'websocket is not open');
    return socket;
  }

  private rejectEchoes(why: string): void {
    for (const [id, pending] of this.echoes) {
      clearTimeout(pending.timer);
      pending.reject(new FeedClientError('NOT_OPEN', `${why} before echo #${id} came back`));
    }
    this.echoes.clear();
  }
}
