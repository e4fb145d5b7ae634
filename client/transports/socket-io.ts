/**
 * Socket.IO: a real socket.io client (`io` injected: the browser's, served by the lab at
 * `/socket.io/socket.io.js`, or `io` from 'socket.io-client' in Node) on `/socket.io/`.
 *
 * Engine.IO starts with long polling and upgrades to a WebSocket (unless `socketIoTransports`
 * says otherwise); the wire log shows that, and every Engine.IO packet as it is encoded:
 * `0{…}` open, `2`/`3` ping/pong, `40` CONNECT, `42["feed",{…}]` an event.
 *
 * One Socket.IO socket serves the client for its whole life, because Socket.IO's connection-state
 * recovery lives in it (its session id and the offset of the last broadcast it got). A cut or a
 * dropped connection closes only the Engine.IO connection, so the server keeps the session; the
 * reconnect sends both Socket.IO's session and the lab's cursor (`auth: {since, epoch}`), and the
 * server uses whichever works: recovery when it can (`hello.recovered`), the cursor otherwise.
 * Coming back live-only (`resume: false`) withholds both.
 */
import {
  ERROR_CODES,
  type FeedMessage,
  ROUTES,
  SOCKET_IO_EVENTS,
  type SocketIoAuth,
  type SocketIoHello,
} from '../../contract/index.js';
import { asFeedMessage, asResetNotice, BaseFeedClient, utf8Length } from './base.js';
import {
  type Cursor,
  FeedClientError,
  type FeedClientOptions,
  type LiveSettings,
  type SocketIoConnectLike,
  type SocketIoEngineLike,
  type SocketIoPacketLike,
  type SocketIoSocketLike,
} from './types.js';

const DEFAULT_ECHO_TIMEOUT_MS = 10_000;
/**
 * How long the lab's `hello` may take after the Engine.IO connection opened and the CONNECT (`40`)
 * went out. The server answers a CONNECT in one round trip (its middleware is synchronous; behind
 * the Redis broker a cursor may wait up to 1 s to settle, server/feed/redis-backend.ts), so on an
 * idle machine the hello takes milliseconds. On a machine at load ~20 an Engine.IO handshake was
 * seen to take 7 s, so 10 s leaves a slow but working answer alone. Without it, the only thing
 * that notices an unanswered CONNECT is Engine.IO's ping timeout, 25 s + 20 s (server/config.ts):
 * longer than a scenario's whole run, which then ends with "0 delivered, no errors".
 * (socket.io-client's own `timeout`, 20 s, covers the Engine.IO handshake only, not the CONNECT.)
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Engine.IO v4 packet types, as they are written on the wire. */
const PACKET_TYPES: Record<string, string> = {
  open: '0',
  close: '1',
  ping: '2',
  pong: '3',
  message: '4',
  upgrade: '5',
  noop: '6',
};
/** How long a wire-log line quotes a packet. */
const SHOWN_CHARS = 160;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A packet as Engine.IO writes it: its type digit, then its data (text; binary shown by size). */
function encoded(packet: SocketIoPacketLike): { text: string; bytes: number } {
  const type = PACKET_TYPES[packet.type] ?? '?';
  if (packet.data === undefined) return { text: type, bytes: 1 };
  if (typeof packet.data === 'string') return { text: type + packet.data, bytes: 1 + utf8Length(packet.data) };
  const text = type + JSON.stringify(packet.data);
  return { text, bytes: utf8Length(text) };
}

export class SocketIoClient extends BaseFeedClient {
  readonly transport = 'socket.io' as const;
  private readonly connectIo: SocketIoConnectLike;
  private socket: SocketIoSocketLike | undefined;
  /** The session of the current Engine.IO connection; events from an older one are ignored. */
  private socketSession = -1;
  /** The cursor the current connection was opened with (null = live only). */
  private sentCursor: Cursor | null = null;
  private echoCount = 0;
  private readonly engines = new WeakSet<SocketIoEngineLike>();
  /** Armed when the CONNECT goes out, cleared by the hello: see DEFAULT_CONNECT_TIMEOUT_MS. */
  private helloTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: FeedClientOptions) {
    super(options);
    if (options.io === undefined) {
      throw new TypeError(
        "the socket.io transport needs options.io (the browser's global io from /socket.io/socket.io.js, or io from 'socket.io-client' in Node)",
      );
    }
    this.connectIo = options.io;
    const timeout = options.socketIoConnectTimeoutMs;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0))
      throw new TypeError(`socketIoConnectTimeoutMs must be a positive number of ms, got ${timeout}`);
  }

  /** `emit('publish', data)`: publish into the feed. Throws (NOT_OPEN) unless connected. */
  publish(data: unknown): void {
    this.connectedSocket().emit(SOCKET_IO_EVENTS.publish, data);
  }

  /** `emit('echo', x, ack)`: resolves with the round trip in ms, on the connection that carries the feed. */
  sendEcho(payload?: unknown, timeoutMs = DEFAULT_ECHO_TIMEOUT_MS): Promise<number> {
    let socket: SocketIoSocketLike;
    try {
      socket = this.connectedSocket();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = String(++this.echoCount);
    const sentAt = this.now();
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new FeedClientError('TIMEOUT', `socket.io: no echo ack in ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.emit(SOCKET_IO_EVENTS.echo, payload === undefined ? { id } : { id, payload }, () => {
        clearTimeout(timer);
        resolve(this.now() - sentAt);
      });
    });
  }

  protected connect(cursor: Cursor | null, session: number): void {
    this.clearHelloTimer();
    this.sentCursor = cursor;
    this.socketSession = session;
    const socket = this.socket ?? this.createSocket();
    const transports = this.options.socketIoTransports ?? ['polling', 'websocket'];
    this.log(
      'up',
      'request',
      `GET ${ROUTES['socket.io']}?EIO=4&transport=${transports[0]} (Engine.IO handshake${cursor ? `, cursor ${cursor.epoch}:${cursor.seq}` : ', live only'})`,
      0,
    );
    socket.connect();
    this.watchEngine(socket.io.engine);
  }

  /** Drop the Engine.IO connection only: the server keeps the Socket.IO session for a recovery. */
  protected teardown(): void {
    this.clearHelloTimer();
    const engine = this.socket?.io.engine;
    if (engine === undefined) return;
    engine.close();
    // engine.io-client 6.6's close() waits while it has something in flight: a POST not yet
    // answered (it waits for "drain") or, after a failed upgrade, an upgrade that never comes
    // (`upgrading` stays set). Either way it may wait forever — the Manager stays "open", so a
    // reconnect would reuse this engine and its CONNECT would be dropped as written to a closing
    // socket. Finish the close the way close() itself would have.
    if (engine.readyState === 'closing') {
      (engine as unknown as { _onClose?: (reason: string) => void })._onClose?.('forced close');
    }
  }

  /** Stopping is a goodbye: Socket.IO's DISCONNECT (`41`), after which the server keeps no session. */
  override stop(): void {
    const socket = this.socket;
    this.socket = undefined;
    super.stop(); // bumps the session first, so the handlers ignore what the goodbye causes
    socket?.disconnect();
  }

  /** A new `socketIoTransports` takes a new Socket.IO socket (and so forgoes one recovery). */
  override configure(settings: LiveSettings): void {
    const before = this.options.socketIoTransports;
    super.configure(settings);
    if (settings.socketIoTransports === undefined || settings.socketIoTransports === before) return;
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      this.session++;
      socket.disconnect();
      if (this.state !== 'idle' && this.state !== 'closed') this.open(this.cursor);
    }
  }

  private createSocket(): SocketIoSocketLike {
    const socket = this.connectIo(this.options.baseUrl, {
      path: ROUTES['socket.io'],
      // `client=` and, in a classroom, the student's `name=`: the query every other lane's URL carries.
      query:
        this.options.name === undefined
          ? { client: this.options.clientId }
          : { client: this.options.clientId, name: this.options.name },
      transports: this.options.socketIoTransports ?? ['polling', 'websocket'],
      // The lab reconnects by itself (backoff, cursor), as on every other transport.
      reconnection: false,
      autoConnect: false,
      forceNew: true,
      // Asked afresh at every connection: the cursor of now. Live only withholds recovery too.
      auth: (callback: (auth: Record<string, unknown>) => void) => {
        const cursor = this.sentCursor;
        const auth: SocketIoAuth & Record<string, unknown> =
          cursor === null ? { pid: undefined, offset: undefined } : { since: cursor.seq, epoch: cursor.epoch };
        callback(auth);
      },
    });
    this.socket = socket;
    const current = () => this.isCurrent(this.socketSession);

    // The Engine.IO connection is open and socket.io-client has just sent the CONNECT: from here the
    // server owes the lab's hello, and a silent server is reported, not waited on (see the constant).
    socket.io.on('open', () => {
      if (current()) this.armHelloTimer(this.socketSession);
    });
    socket.on('connect', () => {
      if (!current()) return;
      this.log('down', 'control', `connected${socket.recovered ? ' (Socket.IO recovered the session)' : ''}`, 0);
    });
    socket.on(SOCKET_IO_EVENTS.hello, (hello: SocketIoHello) => {
      if (!current()) return;
      if (!isRecord(hello) || typeof hello.epoch !== 'string' || !Number.isSafeInteger(hello.head)) {
        this.report(new FeedClientError('PROTOCOL', `socket.io: bad hello ${JSON.stringify(hello)}`));
        return;
      }
      this.clearHelloTimer();
      this.servedBy(hello.instance);
      this.log(
        'down',
        'control',
        `hello ${hello.epoch}:${hello.head}, recovered: ${hello.recovered ? 'yes (Socket.IO replayed what was missed)' : 'no'}`,
        0,
      );
      this.connected();
      if (this.sentCursor === null && !hello.recovered) this.liveAt(hello.epoch, hello.head + 1);
    });
    socket.on(SOCKET_IO_EVENTS.reset, (value: unknown) => {
      if (!current()) return;
      const notice = asResetNotice(value);
      if (notice === null)
        this.report(new FeedClientError('PROTOCOL', `socket.io: bad reset ${JSON.stringify(value)}`));
      else this.applyReset(notice);
    });
    socket.on(SOCKET_IO_EVENTS.feed, (value: unknown) => {
      if (!current()) return;
      const receivedAt = this.now();
      const message: FeedMessage | null = asFeedMessage(value);
      if (message === null) {
        this.report(new FeedClientError('PROTOCOL', 'socket.io: a feed event that is not a feed message'));
        return;
      }
      this.deliver(message, JSON.stringify(message), receivedAt);
    });
    socket.on(SOCKET_IO_EVENTS.error, (value: unknown) => {
      if (!current()) return;
      const code = isRecord(value) && typeof value.code === 'string' ? value.code : undefined;
      const text = isRecord(value) && typeof value.message === 'string' ? value.message : JSON.stringify(value);
      this.report(
        new FeedClientError('SERVER', `socket.io: server says ${code ?? 'error'}: ${text}`, { serverCode: code }),
      );
    });
    socket.on('connect_error', (error: unknown) => {
      if (!current()) return;
      const data = isRecord(error) && isRecord(error.data) ? error.data : undefined;
      const code = typeof data?.code === 'string' ? data.code : undefined;
      const message = error instanceof Error ? error.message : String(error);
      this.log('down', 'control', `connect_error ${code ?? ''} ${message}`.trim(), 0);
      if (code === ERROR_CODES.futureCursor || code === ERROR_CODES.badCursor) {
        if (code === ERROR_CODES.futureCursor && this.sentCursor !== null) this.futureCursor();
        this.fail(new FeedClientError('SERVER', `socket.io: ${message}`, { serverCode: code }), { liveOnly: true });
        return;
      }
      this.fail(new FeedClientError('NETWORK', `socket.io: connect_error: ${message}`, { serverCode: code }));
    });
    socket.on('disconnect', (reason: unknown) => {
      if (!current()) return;
      this.log('down', 'control', `disconnect (${String(reason)})`, 0);
      this.fail(new FeedClientError('NETWORK', `socket.io: disconnected (${String(reason)})`));
    });
    return socket;
  }

  /** Engine.IO's packets, both ways, as they are written on the wire — for the wire log. */
  private watchEngine(engine: SocketIoEngineLike | undefined): void {
    if (engine === undefined || this.engines.has(engine)) return;
    this.engines.add(engine);
    const session = this.socketSession;
    const show = (direction: 'up' | 'down', packet: SocketIoPacketLike): void => {
      if (!this.tracing || !this.isCurrent(session)) return;
      const { text, bytes } = encoded(packet);
      const kind = packet.type === 'message' ? 'frame' : 'control';
      const shown = text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
      this.log(direction, kind, `[${engine.transport?.name ?? '?'}] ${shown}`, bytes);
    };
    engine.on('packet', (packet: SocketIoPacketLike) => show('down', packet));
    engine.on('packetCreate', (packet: SocketIoPacketLike) => show('up', packet));
    let pausedForUpgrade = false;
    engine.on('upgrading', (transport: { name: string }) => {
      pausedForUpgrade = true;
      if (this.isCurrent(session))
        this.log('up', 'request', `${transport.name} probe answered (2probe → 3probe): polling paused to upgrade`, 0);
    });
    engine.on('upgrade', (transport: { name: string }) => {
      pausedForUpgrade = false;
      if (this.isCurrent(session)) this.log('up', 'control', `upgraded to ${transport.name} (5)`, 0);
    });
    // engine.io-client 6.6 leaves its long polling paused when the WebSocket dies between the
    // probe's answer and the upgrade: nothing flows until a ping timeout (tens of seconds). Drop
    // the connection and come back at once instead (recovery or the cursor resumes it).
    engine.on('upgradeError', (error: unknown) => {
      if (!this.isCurrent(session) || !pausedForUpgrade) return;
      this.fail(new FeedClientError('NETWORK', `socket.io: the upgrade failed with polling paused (${String(error)})`));
    });
  }

  private armHelloTimer(session: number): void {
    this.clearHelloTimer();
    const timeoutMs = this.options.socketIoConnectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.helloTimer = setTimeout(() => {
      this.helloTimer = undefined;
      if (!this.isCurrent(session)) return;
      this.log('down', 'control', `no hello ${timeoutMs} ms after the CONNECT (40): giving up on this connection`, 0);
      this.fail(
        new FeedClientError(
          'TIMEOUT',
          `socket.io: no answer to the CONNECT within ${timeoutMs} ms (Engine.IO was open, the hello never came)`,
        ),
      );
    }, timeoutMs);
  }

  private clearHelloTimer(): void {
    if (this.helloTimer === undefined) return;
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
  }

  private connectedSocket(): SocketIoSocketLike {
    const socket = this.socket;
    if (socket === undefined || !socket.connected) throw new FeedClientError('NOT_OPEN', 'socket.io is not connected');
    return socket;
  }
}
