/**
 * The one shape every client transport has (engine.io style: same shape, one file each), and
 * the minimal structural types of what gets injected (centrifuge-js style): `fetch`, `WebSocket`
 * and `EventSource` come from the caller, so this code runs in the browser and in Node alike.
 *
 * In Node pass `globalThis.fetch`, `WebSocket` from 'ws' and `EventSource` from 'eventsource';
 * in the browser pass the globals. Nothing under client/ imports a Node module.
 */
import type { FeedMessage, ResetNotice, TransportName } from '../../contract/index.js';
import type { BackoffOptions } from '../backoff.js';
import type { Emitter } from '../emitter.js';

/* ------------------------------------------------------------------ injected */

/**
 * Handler properties (`onmessage = …`) typed bivariantly, as DOM and ws both declare them with
 * their own event classes; we read only the fields named in the event type we declare.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'] | null;

export interface ResponseLike {
  readonly status: number;
  text(): Promise<string>;
  /** Read for `X-Lab-Instance` (which instance answered, behind a balancer); optional for minimal fetches. */
  readonly headers?: { get(name: string): string | null };
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  cache?: 'no-store';
}

/** `globalThis.fetch` (browser, Node ≥ 18) fits. */
export type FetchLike = (url: string, init?: FetchInit) => Promise<ResponseLike>;

export interface WebSocketMessageEventLike {
  /**
   * A string for text frames (browser, and ws ≥ 8 through `onmessage`); an ArrayBuffer for binary
   * frames once `binaryType = 'arraybuffer'` (both), a Buffer in ws otherwise.
   */
  readonly data: unknown;
}

export interface WebSocketCloseEventLike {
  readonly code: number;
  readonly reason: string;
  readonly wasClean?: boolean;
}

/** The browser's `WebSocket` and the 'ws' package's `WebSocket` fit. */
export interface WebSocketLike {
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** The subprotocol the server answered ('' for none). */
  readonly protocol: string;
  /** The extensions the server answered, e.g. `permessage-deflate; client_max_window_bits=15`. */
  readonly extensions: string;
  binaryType: string;
  onopen: Handler<unknown>;
  onmessage: Handler<WebSocketMessageEventLike>;
  onclose: Handler<WebSocketCloseEventLike>;
  /** ws passes an ErrorEvent with a `message`; browsers deliberately say nothing about why. */
  onerror: Handler<unknown>;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface EventSourceMessageEventLike {
  readonly data: string;
  readonly lastEventId: string;
}

/** The browser's `EventSource` and the 'eventsource' package's `EventSource` fit. */
export interface EventSourceLike {
  /** 0 CONNECTING, 1 OPEN, 2 CLOSED. */
  readonly readyState: number;
  onopen: Handler<unknown>;
  onmessage: Handler<EventSourceMessageEventLike>;
  onerror: Handler<unknown>;
  addEventListener(type: string, listener: (event: EventSourceMessageEventLike) => void): void;
  close(): void;
}

/** An Engine.IO packet, as engine.io-client reports it (`packet` / `packetCreate` events). */
export interface SocketIoPacketLike {
  type: string;
  data?: unknown;
}

/** engine.io-client's Socket, the part the wire log reads. */
export interface SocketIoEngineLike {
  readonly transport?: { readonly name: string } | null;
  readonly readyState?: string;
  /** True from a probe's answer until the upgrade is done (and, in engine.io-client 6.6, after one failed). */
  readonly upgrading?: boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
  close(): unknown;
}

/** socket.io-client's Socket (the browser's and Node's are the same code). */
export interface SocketIoSocketLike {
  readonly connected: boolean;
  readonly recovered?: boolean;
  /** socket.io-client's Manager: the Engine.IO connection under the socket; says `open` when it opens. */
  readonly io: {
    readonly engine?: SocketIoEngineLike;
    on(event: string, listener: (...args: never[]) => void): unknown;
  };
  on(event: string, listener: (...args: never[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  connect(): unknown;
  disconnect(): unknown;
}

export interface SocketIoOptionsLike {
  path: string;
  query: Record<string, string>;
  transports: SocketIoTransportName[];
  reconnection: boolean;
  autoConnect: boolean;
  forceNew: boolean;
  auth: (callback: (auth: Record<string, unknown>) => void) => void;
}

/** `io` from 'socket.io-client', or the browser's global `io` (served at `/socket.io/socket.io.js`). */
export type SocketIoConnectLike = (url: string, options: SocketIoOptionsLike) => SocketIoSocketLike;

export type SocketIoTransportName = 'polling' | 'websocket';

export type EventSourceConstructorLike = new (url: string) => EventSourceLike;

/* ------------------------------------------------------------------ options */

/** `(epoch, seq)`: the last message the client has (contract/cursor.ts). */
export type { Cursor } from '../../contract/index.js';

import type { Cursor } from '../../contract/index.js';

export interface FeedClientOptions {
  /** Where the server is, e.g. `http://127.0.0.1:3000` (the dashboard passes `location.origin`). */
  baseUrl: string;
  /** Sent as `client=` on every request so the server can report this client's own wire bytes. Must match CLIENT_PATTERN. */
  clientId: string;
  /**
   * Classroom mode: the student's name, sent as `name=` beside `client=` on every request, so the
   * server's logs and counters say whose they are (server/classroom/). Absent outside a classroom.
   */
  name?: string;
  /** On a reconnect, send the cursor (true) or come back live-only and lose what was missed (false). */
  resume: boolean;
  /** Start from this cursor instead of live-only. */
  cursor?: Cursor;
  /** short-poll: pause between two polls, ms. Default 1000. */
  pollIntervalMs?: number;
  /** short-poll: `limit=` (server default 1000). A full answer is followed by another poll at once. */
  pollLimit?: number;
  /** long-poll: `timeout=` the server holds a poll for, ms. Default 25 000. */
  longPollTimeoutMs?: number;
  /** Local clock, ms since the Unix epoch, same domain as `ts`. Default `performance.timeOrigin + performance.now()`. */
  now?: () => number;
  /**
   * websocket: the subprotocols to offer (`Sec-WebSocket-Protocol`), e.g. `['lab.v1.msgpack']`. The
   * server picks by its own preference; the frames follow its answer. Default: offer none (JSON).
   */
  subprotocols?: string[];
  /** websocket: ask for permessage-deflate (`compress=1`; the WebSocket itself makes the offer). */
  compress?: boolean;
  /** Needed by short-poll and long-poll. */
  fetch?: FetchLike;
  /** Needed by websocket. */
  WebSocket?: WebSocketConstructorLike;
  /** Needed by sse. */
  EventSource?: EventSourceConstructorLike;
  /** Needed by socket.io. */
  io?: SocketIoConnectLike;
  /** socket.io: Engine.IO's transports, in order. Default `['polling', 'websocket']` (poll, then upgrade). */
  socketIoTransports?: SocketIoTransportName[];
  /**
   * socket.io: how long after the Engine.IO connection opened (and the CONNECT `40` went out) the
   * lab's `hello` may take before the client gives up with TIMEOUT, drops the connection and
   * retries with its cursor. Default 10 000 (client/transports/socket-io.ts says why).
   */
  socketIoConnectTimeoutMs?: number;
  /** Reconnect backoff (full jitter). Default base 250 ms, cap 10 s. */
  reconnect?: Partial<BackoffOptions>;
}

/* ------------------------------------------------------------------ events */

/**
 * - `idle`: not started.
 * - `connecting`: opening a connection or sending the first request after (re)start.
 * - `open`: connected (WebSocket, SSE stream) or a poll is in flight and the last one worked.
 * - `waiting`: nothing on the wire: between two short polls, or in backoff before a reconnect.
 * - `closed`: stopped; nothing more will happen.
 */
export type ClientState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

/** One line of the DevTools-like wire panel. */
export interface WireEntry {
  /** Local time, ms since the Unix epoch (the client's `now`). */
  at: number;
  /** up = client → server. */
  direction: 'up' | 'down';
  kind: 'request' | 'response' | 'event' | 'frame' | 'control';
  summary: string;
  /**
   * Application-level bytes visible to the client, UTF-8: a response body, a frame's text,
   * an SSE event's `data`. Headers and framing are not visible here; the server counts those.
   */
  bytes: number;
}

export interface FeedClientEvents {
  /**
   * A feed message. `raw` is the message JSON as it came off the wire (SSE, WebSocket) or,
   * for the polls whose body is one JSON document, the message re-serialized (the server
   * serializes with JSON.stringify too, so the text is the same), and for MessagePack frames the
   * decoded message as JSON. `receivedAt` is `now()` when the frame, event or whole poll body
   * arrived. `payloadBytes`: the message's bytes as they came (UTF-8 JSON, or MessagePack).
   */
  message: [msg: FeedMessage, raw: string, receivedAt: number, payloadBytes: number];
  /** The cursor could not be honoured exactly; the messages that follow start at `notice.from`. */
  reset: [notice: ResetNotice];
  state: [state: ClientState];
  /** Something failed; the client recovers by itself unless stopped. */
  error: [error: FeedClientError];
  wire: [entry: WireEntry];
  /** Which lab instance answered (a poll's `X-Lab-Instance`, a stream's hello); only behind a balancer. */
  served: [instance: string];
}

export interface FeedClient extends Emitter<FeedClientEvents> {
  readonly transport: TransportName;
  readonly state: ClientState;
  /** The last message (or reset point) the client has, `null` before the first answer. */
  readonly cursor: Cursor | null;
  /** Connect. Idempotent while running; throws once stopped (make a new client). */
  start(): void;
  /** Graceful: close, no reconnect. State becomes `closed`. */
  stop(): void;
  /** Drop the connection now and come back as a reconnect would: with the cursor if `resume`, live-only otherwise. */
  cut(): void;
  /** Change settings on a running client; each applies from the next request or reconnect. */
  configure(settings: LiveSettings): void;
}

/** The options a running client may change (the dashboard's switches). */
export type LiveSettings = Partial<
  Pick<FeedClientOptions, 'resume' | 'pollIntervalMs' | 'longPollTimeoutMs' | 'socketIoTransports'>
>;

/* ------------------------------------------------------------------ errors */

export type FeedClientErrorCode =
  /** fetch rejected, the socket failed, the stream broke. */
  | 'NETWORK'
  /** The server answered an unexpected status (`status`, and its error `code` if any). */
  | 'HTTP'
  /** A body, event or frame that does not parse as the contract says. */
  | 'PROTOCOL'
  /** The server closed the WebSocket (`closeCode`). */
  | 'CLOSED'
  /** The server asked us to back off (SSE `overload`, WebSocket 4429). */
  | 'OVERLOAD'
  /** No answer within the expected time. */
  | 'TIMEOUT'
  /** The server reported an error in-band (WebSocket `error` frame); `serverCode` says which. */
  | 'SERVER'
  /** `publish`/`sendEcho` while the WebSocket (or Socket.IO) is not open, or the client stopped meanwhile. */
  | 'NOT_OPEN';

export class FeedClientError extends Error {
  override readonly name = 'FeedClientError';
  readonly code: FeedClientErrorCode;
  /** HTTP status, when there was one. */
  readonly status?: number;
  /** The server's stable error code (`LAB_…`), when it sent one. */
  readonly serverCode?: string;
  /** WebSocket close code, when there was one. */
  readonly closeCode?: number;

  constructor(
    code: FeedClientErrorCode,
    message: string,
    details: { status?: number; serverCode?: string; closeCode?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.serverCode !== undefined) this.serverCode = details.serverCode;
    if (details.closeCode !== undefined) this.closeCode = details.closeCode;
  }
}
