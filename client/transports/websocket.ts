/**
 * WebSocket: one `GET /api/ws` upgrade, then text frames both ways. The server sends a
 * `hello` control frame first, then a `reset` if the cursor could not be honoured, then the
 * backlog, then live messages — each feed message one frame holding the message JSON, no
 * `type`. The client may send `publish` (into the feed) and `echo` (bounced back unchanged:
 * a round-trip probe on the very socket the feed uses).
 *
 * Subprotocol (`subprotocols` option): the server answers one it speaks, or none. Under
 * `lab.v1.msgpack` every frame both ways is binary MessagePack of the same objects; otherwise JSON
 * text. `compress` asks for permessage-deflate (`compress=1`); the WebSocket offers it itself.
 *
 * Close codes (docs/contract.md) and what we do:
 *   1000, 1008, 1009, 1012 (server restart), 4001 (slow consumer), 1006 (no close frame) →
 *     reconnect with backoff, with the cursor if `resume`;
 *   4429 (rate) → the same, but not before OVERLOAD_MIN_DELAY_MS;
 *   4400 (bad cursor/request) → if it was our cursor, report a 'future' reset once the
 *     live-only hello says where the feed is, and come back live-only.
 */
import { decode, encode } from '@msgpack/msgpack';
import { CLOSE_CODES, ERROR_CODES, ROUTES, WS_COMPRESS_PARAM } from '../../contract/index.js';
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

function sizeOf(frame: string | Uint8Array): number {
  return typeof frame === 'string' ? utf8Length(frame) : frame.byteLength;
}

/** A frame as it came: its object, its text for logs, its payload bytes. */
interface Frame {
  parsed: unknown;
  text: string;
  bytes: number;
}

/** Binary frame data as bytes: ArrayBuffer (browser, ws with binaryType 'arraybuffer') or a Node Buffer. */
function bytesOf(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  return null;
}

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

  /** What the current socket's handshake settled: subprotocol and extensions ('' for none, or before open). */
  get negotiated(): { protocol: string; extensions: string } {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== OPEN) return { protocol: '', extensions: '' };
    return { protocol: socket.protocol, extensions: socket.extensions };
  }

  /** Publish `data` into the feed through this socket. Throws (NOT_OPEN) unless the socket is open. */
  publish(data: unknown): void {
    const socket = this.openSocket();
    const frame = this.encode(socket, { type: 'publish', data });
    socket.send(frame);
    this.log('up', 'frame', 'publish', sizeOf(frame));
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
    const frame = this.encode(socket, payload === undefined ? { type: 'echo', id } : { type: 'echo', id, payload });
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.echoes.delete(id);
        reject(new FeedClientError('TIMEOUT', `websocket: no echo in ${timeoutMs} ms`));
      }, timeoutMs);
      this.echoes.set(id, { sentAt: this.now(), resolve, reject, timer });
      socket.send(frame);
      this.log('up', 'control', `echo #${id}`, sizeOf(frame));
    });
  }

  protected connect(cursor: Cursor | null, session: number): void {
    const url = buildUrl(this.options, ROUTES.websocket, cursor, {
      [WS_COMPRESS_PARAM]: this.options.compress ? 1 : undefined,
    });
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.sentCursor = cursor;
    this.lastServerError = undefined;
    this.lastSocketError = undefined;
    this.log('up', 'request', `GET ${pathOf(url)} (upgrade)`, 0);
    const offer = this.options.subprotocols ?? [];
    const socket = offer.length > 0 ? new this.WebSocket(url.toString(), offer) : new this.WebSocket(url.toString());
    socket.binaryType = 'arraybuffer';
    this.socket = socket;

    socket.onopen = () => {
      if (!this.isCurrent(session)) return;
      // Stay 'connecting' until the hello: only then do we know the server took our cursor.
      const answered = [
        socket.protocol ? `protocol ${socket.protocol}` : offer.length > 0 ? 'no protocol' : '',
        socket.extensions ? socket.extensions : '',
      ].filter(Boolean);
      this.log('down', 'response', `101 Switching Protocols${answered.length ? ` (${answered.join('; ')})` : ''}`, 0);
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

  /** The subprotocol the server answered decides the framing of what we send. */
  private encode(socket: WebSocketLike, frame: unknown): string | Uint8Array {
    return socket.protocol === 'lab.v1.msgpack' ? encode(frame) : JSON.stringify(frame);
  }

  /** A received frame, decoded by the framing the server answered; null (reported) when it does not fit. */
  private decodeFrame(data: unknown): Frame | null {
    const binary = bytesOf(data);
    const msgpack = this.socket?.protocol === 'lab.v1.msgpack';
    if (typeof data === 'string' && !msgpack) return { parsed: parseJson(data), text: data, bytes: utf8Length(data) };
    if (binary !== null && msgpack) {
      try {
        const parsed = decode(binary);
        return { parsed, text: JSON.stringify(parsed), bytes: binary.byteLength };
      } catch {
        this.log('down', 'frame', 'not MessagePack', binary.byteLength);
        this.report(new FeedClientError('PROTOCOL', 'websocket: binary frame is not MessagePack'));
        return null;
      }
    }
    const size = binary?.byteLength ?? (typeof data === 'string' ? utf8Length(data) : 0);
    this.log('down', 'frame', `${binary ? 'binary' : 'text'} frame (unexpected)`, size);
    this.report(
      new FeedClientError(
        'PROTOCOL',
        `websocket: ${binary ? 'binary' : 'text'} frame under ${this.socket?.protocol || 'no subprotocol'}`,
      ),
    );
    return null;
  }

  private onFrame(raw: unknown, receivedAt: number, cursor: Cursor | null, session: number): void {
    const frame = this.decodeFrame(raw);
    if (frame === null) return;
    const { parsed, text: data, bytes } = frame;
    if (!isRecord(parsed)) {
      this.log('down', 'frame', 'not JSON', bytes);
      this.report(new FeedClientError('PROTOCOL', `websocket: frame is not a JSON object: ${data.slice(0, 80)}`));
      return;
    }
    if (!('type' in parsed)) {
      const message = asFeedMessage(parsed);
      if (message === null) {
        this.log('down', 'frame', 'not a feed message', bytes);
        this.report(new FeedClientError('PROTOCOL', `websocket: frame is not a feed message: ${data.slice(0, 80)}`));
        return;
      }
      if (this.tracing) this.log('down', 'frame', `message #${message.seq}`, bytes);
      this.deliver(message, data, receivedAt, bytes);
      return;
    }
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
      // docs/contract.md, the resume table: the one 4400 a well-formed cursor earns is "since > head" (malformed
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
