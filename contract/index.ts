/**
 * The wire contract v1 (docs/contract.md): names, shapes and limits shared by the server, the
 * clients, the dashboard and the scenario runner. Nothing here touches the network.
 */
import type { FeedMode } from './feed-settings.js';

export * from './cursor.js';
export * from './feed-settings.js';
export * from './palette.js';
export * from './present.js';

/** Transport names, everywhere (routes aside). Iterate this instead of naming transports by hand. */
export const TRANSPORTS = ['short-poll', 'long-poll', 'sse', 'websocket', 'socket.io'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

export function isTransportName(value: unknown): value is TransportName {
  return typeof value === 'string' && (TRANSPORTS as readonly string[]).includes(value);
}

/** The transports that answer requests (a whole HTTP exchange per answer) rather than hold a stream open. */
export const POLLING_TRANSPORTS: readonly TransportName[] = ['short-poll', 'long-poll'];

export function isPolling(transport: TransportName): boolean {
  return POLLING_TRANSPORTS.includes(transport);
}

/** The route each transport is served on. */
export const ROUTES: Record<TransportName, string> = {
  'short-poll': '/api/poll',
  'long-poll': '/api/long-poll',
  sse: '/api/sse',
  websocket: '/api/ws',
  // Engine.IO's own path: its long-polling requests and its WebSocket upgrade both go here.
  'socket.io': '/socket.io/',
};

/** One feed message. Serialized once per publish; every transport carries that same text. */
export interface FeedMessage<D = unknown> {
  epoch: string;
  seq: number;
  /** Publish time, ms since the Unix epoch, sub-millisecond precision. */
  ts: number;
  data: D;
}

/** Why a client's cursor could not be honoured exactly. A gap is never silent. */
export type ResetReason = 'evicted' | 'epoch' | 'future';

export interface ResetNotice {
  reason: ResetReason;
  /** The epoch the messages that follow belong to. */
  epoch: string;
  /** How many messages the client missed, when the server can know (same epoch, evicted). */
  missed?: number;
  /** The first seq that follows the reset (or head + 1 when only live messages follow). */
  from: number;
}

/** Body of `GET /api/poll` and `GET /api/long-poll`. */
export interface PollResponse {
  epoch: string;
  head: number;
  messages: FeedMessage[];
  reset?: ResetNotice;
}

/** `GET /api/feed`; `PUT /api/feed` takes any subset of `FeedSettings`. */
export interface FeedState {
  epoch: string;
  head: number;
  oldest: number;
  /** Messages per second the ticker publishes (fractional rates allowed: 0.2 = one every 5 s). */
  rate: number;
  /** Size of the whole message JSON the ticker makes, within a few bytes. */
  payloadBytes: number;
  mode: FeedMode;
  running: boolean;
  /** How many messages are kept for resume. */
  retention: number;
  /** Where the feed lives, and which instance answered (many may serve one feed behind a balancer). */
  backend: FeedBackendState;
}

export interface FeedBackendState {
  /** `memory`: this process alone; `redis`: one stream shared by every instance. */
  kind: 'memory' | 'redis';
  instance: string;
  /** False while the broker is unreachable: publishes get 503 `LAB_FEED_UNAVAILABLE`. */
  connected: boolean;
  publishFailures: number;
}

export type FeedSettings = Partial<Pick<FeedState, 'rate' | 'payloadBytes' | 'mode' | 'running'>>;

export const LONG_POLL_TIMEOUT = { min: 0, max: 60_000, default: 25_000 } as const;
export const POLL_LIMIT = { min: 1, max: 10_000, default: 1_000 } as const;

/** WebSocket close codes (docs/contract.md lists when each is sent). */
export const CLOSE_CODES = {
  normal: 1000,
  policy: 1008,
  tooBig: 1009,
  serverRestart: 1012,
  slowConsumer: 4001,
  badRequest: 4400,
  rate: 4429,
} as const;

/**
 * WebSocket subprotocols the lab speaks (RFC 6455 §1.9, §4.2.2), in the SERVER's order of
 * preference: among those a client offers, the server picks the first of this list, whatever the
 * client's order. Offer none of them and the 101 carries no `Sec-WebSocket-Protocol` (the server
 * must not answer one it does not speak); such a connection gets `lab.v1.json` frames.
 * - `lab.v1.json`: every frame is a text frame holding JSON (the feed message text, or a control frame).
 * - `lab.v1.msgpack`: every frame, both ways, is a binary frame holding the same object as MessagePack.
 */
export const WS_SUBPROTOCOLS = ['lab.v1.msgpack', 'lab.v1.json'] as const;
export type WsSubprotocol = (typeof WS_SUBPROTOCOLS)[number];

/** The subprotocol the server picks among `offered`, or null when it speaks none of them. */
export function pickSubprotocol(offered: Iterable<string>): WsSubprotocol | null {
  const set = new Set(offered);
  return WS_SUBPROTOCOLS.find((name) => set.has(name)) ?? null;
}

/** `/api/ws?compress=1` accepts permessage-deflate (RFC 7692) when offered; without it the offer is declined. */
export const WS_COMPRESS_PARAM = 'compress';

/** Control frames on the WebSocket. Feed messages are plain `FeedMessage` JSON (no `type`). */
export type WsServerControl =
  | {
      type: 'hello';
      epoch: string;
      head: number;
      oldest: number;
      client: string | null;
      /** Which instance serves this socket; only behind a broker (many instances, one feed). */
      instance?: string;
    }
  | ({ type: 'reset' } & ResetNotice)
  | { type: 'echo'; [key: string]: unknown }
  | { type: 'error'; code: string; message: string };

/**
 * Socket.IO (the fifth transport): event names, and what a client puts in the handshake `auth`.
 * The cursor travels in `auth` rather than the query because Socket.IO sends `auth` afresh on each
 * (re)connection (it may be a function), while the query is fixed when the client is made.
 */
export const SOCKET_IO_EVENTS = {
  /** server → client: one feed message, the message object (`42["feed",{…}]` on the wire). */
  feed: 'feed',
  /** server → client, first: where the feed stands, and whether Socket.IO recovered the session. */
  hello: 'hello',
  /** server → client: the lab's cursor could not be honoured exactly (a `ResetNotice`). */
  reset: 'reset',
  /** client → server: `emit('publish', data)` publishes `data` into the feed. */
  publish: 'publish',
  /** client → server: `emit('echo', x, ack)`; the server calls `ack(x)`. */
  echo: 'echo',
  /** server → client: bad input, said in-band (`{code, message}`), as the WebSocket's `error` frame. */
  error: 'lab-error',
} as const;

/** The lab's cursor in the Socket.IO handshake: `io(url, { auth: { since, epoch } })`. */
export interface SocketIoAuth {
  /** A whole number (or its digits as a string), as `since=` on the other transports. */
  since?: number | string;
  epoch?: string;
}

export interface SocketIoHello {
  epoch: string;
  head: number;
  oldest: number;
  client: string | null;
  /** Socket.IO's connection-state recovery replayed what was missed (the lab's cursor was not needed). */
  recovered: boolean;
  /** Which instance serves this socket; only behind a broker (many instances, one feed). */
  instance?: string;
}

/** Wire accounting of one transport (or one client's use of it). docs/accounting.md. */
export interface TransportCounters {
  /** Open now: WebSockets, SSE streams, held long polls, Socket.IO sessions. */
  connections: number;
  /** HTTP requests received, SSE request, WebSocket upgrades and Engine.IO's polling requests included. */
  requests: number;
  /** Poll and long-poll answers that carried no message. */
  emptyResponses: number;
  /**
   * Feed messages delivered, and their bytes as encoded for that connection: the message JSON, or
   * its MessagePack under `lab.v1.msgpack` (before any permessage-deflate compression).
   */
  messages: number;
  payloadBytes: number;
  resets: number;
  /** The server's view of the TCP socket: in = from the client. */
  bytesIn: number;
  bytesOut: number;
}

/** Bytes per delivered message, measured, beside the protocol floor (see contract/floor.ts). */
export interface OverheadReport {
  /** Mean payload (message JSON) bytes per delivered message. */
  payloadPerMessage: number;
  /** Measured bytes on the wire (in + out) per delivered message. */
  wirePerMessage: number;
  /** wirePerMessage − payloadPerMessage. */
  overheadPerMessage: number;
  /** The least the protocol could spend on framing one message of that size. */
  floorOverheadPerMessage: number;
}

export interface TransportStats extends TransportCounters {
  overhead: OverheadReport | null;
}

/**
 * How `bytesOut` is counted: `exact` reads what the kernel accepted (Node's socket internals);
 * `approximate` what was handed to the socket minus what is still buffered (docs/accounting.md).
 */
export type WireAccounting = 'exact' | 'approximate';

export interface StatsResponse {
  /** The clock the counters were read at, ms since the Unix epoch. */
  now: number;
  /** Which way the bytes were counted. */
  accounting: WireAccounting;
  client: string | null;
  transports: Record<TransportName, TransportStats>;
  /** Traffic of everything else (dashboard, stats stream, static files), kept apart. */
  other: Pick<TransportCounters, 'requests' | 'bytesIn' | 'bytesOut'>;
}

export function emptyCounters(): TransportCounters {
  return {
    connections: 0,
    requests: 0,
    emptyResponses: 0,
    messages: 0,
    payloadBytes: 0,
    resets: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/** Stable error codes the server answers with (Fastify's JSON error shape, `code` field). */
export const ERROR_CODES = {
  badCursor: 'LAB_BAD_CURSOR',
  /** A query parameter other than the cursor (client, limit, interval, transport). */
  badQuery: 'LAB_BAD_QUERY',
  futureCursor: 'LAB_FUTURE_CURSOR',
  badTimeout: 'LAB_BAD_TIMEOUT',
  foreignOrigin: 'LAB_FOREIGN_ORIGIN',
  badFrame: 'LAB_BAD_FRAME',
  unknownType: 'LAB_UNKNOWN_TYPE',
  tooManyConnections: 'LAB_TOO_MANY_CONNECTIONS',
  /** Behind a broker: Redis is unreachable, so a publish or a ticker change is refused (503). */
  feedUnavailable: 'LAB_FEED_UNAVAILABLE',
  /** More polls from one client (client id, else address) than `pollRequestsPerSecond` allows: 429 + Retry-After. */
  tooManyRequests: 'LAB_TOO_MANY_REQUESTS',
  /** A Host header naming another site while the lab is reached on loopback (DNS rebinding): 403. */
  foreignHost: 'LAB_FOREIGN_HOST',
  /** A WebSocket upgrade with a bad Sec-WebSocket-Version or Sec-WebSocket-Key: 400 + Sec-WebSocket-Version: 13. */
  badUpgrade: 'LAB_BAD_UPGRADE',
  /** `PUT /api/feed` with a field out of its limits (contract/feed-settings.ts). */
  badFeedSettings: 'LAB_BAD_FEED_SETTINGS',
  /** `GET /api/handshake?client=` for a client whose WebSocket upgrade the server has not seen. */
  noHandshake: 'LAB_NO_HANDSHAKE',
  /** An unknown network profile or a parameter out of range (contract/networks.ts). */
  badNetwork: 'LAB_BAD_NETWORK',
  /** Socket.IO: more events per second than the lab takes from one client (WebSocket: close 4429). */
  tooManyMessages: 'LAB_TOO_MANY_MESSAGES',
  /** Classroom mode (docs/classroom.md): the feed, publishing and the class routes are the instructor's: 403. */
  instructorOnly: 'LAB_INSTRUCTOR_ONLY',
  /** Classroom mode: a student cutting a lane that is not its own: 403. */
  notYourLane: 'LAB_NOT_YOUR_LANE',
  /** Classroom mode: a bearer token the class does not know: 401. */
  badToken: 'LAB_BAD_TOKEN',
  /** A class route on a lab not started with --classroom: 404. */
  notAClassroom: 'LAB_NOT_A_CLASSROOM',
  /** A student name that is empty, too long or has control characters: 400. */
  badName: 'LAB_BAD_NAME',
  /** The class holds CLASS_MAX_STUDENTS present students: 503. */
  classFull: 'LAB_CLASS_FULL',
  /** A class export before any student reported a lane: 409. */
  nothingToExport: 'LAB_NOTHING_TO_EXPORT',
} as const;

/** `GET /api/handshake?client=ID`: the real upgrade request and 101 response of that client's last WebSocket. */
export interface Handshake {
  at: number;
  request: { line: string; headers: [string, string][] };
  response: { line: string; headers: [string, string][] };
}

/** One event of `GET /api/stats/stream?clients=…`: each named client's counters (everyone's are at `/api/stats`). */
export interface StatsStreamEvent {
  clients: Record<string, StatsResponse>;
  /** Per client: the protocol each transport last arrived on, as the server saw it (h2, h2c, http/1.1+tls, http/1.1). */
  protocols?: Record<string, Partial<Record<string, string>>>;
}

/** `POST /api/clients/<id>/cut[?transport=]`: how many sockets serving that client were dropped. */
export interface CutAnswer {
  client: string;
  transport: TransportName | null;
  socketsCut: number;
}
