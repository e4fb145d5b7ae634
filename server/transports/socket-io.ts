/**
 * Socket.IO: a socket.io 4.8 server on the lab's own Fastify server and the lab's own feed.
 *
 * Engine.IO (Socket.IO's transport layer) is driven from one Fastify route, `/socket.io/`, so its
 * long-polling requests and its WebSocket upgrade pass the same hooks as every other transport:
 * counted at the TCP socket, attributed to `socket.io` and to the `client=` of the handshake query,
 * refused with 403 for a foreign Origin and with 503 when the server is full.
 *
 * - Every feed message is broadcast with `io.emit('feed', message)` — on the wire
 *   `42["feed",{…},"<offset>"]`: Engine.IO message `4`, Socket.IO EVENT `2`, the event as a JSON
 *   array, and the offset Socket.IO's connection-state recovery appends.
 * - A client may `emit('publish', data)` (into the feed) and `emit('echo', x, ack)` (`ack(x)`).
 * - Resume, two ways. Socket.IO's connection-state recovery replays the broadcasts a client missed
 *   while it was away, if it comes back within `socketIoRecoveryMs` to the same process. Otherwise
 *   the lab's cursor, `auth: { since, epoch }` in the handshake, does it, with a `reset` when it
 *   cannot be honoured exactly — after a long gap, or a restart, where recovery says
 *   `recovered: false`.
 * - The two agree on where a client stands: with recovery on, Socket.IO stores what one socket is
 *   sent (`socket.emit`: the lab's backlog) under an offset too, so a client's recovery offset is
 *   always that of its newest message, and a recovery never replays what the cursor already gave.
 * - A client that stops reading is cut once more than `slowConsumerBytes` wait in Engine.IO's
 *   buffer for it (socket-io-backlog.ts), as the WebSocket lane cuts with 4001.
 * - The browser client is served by the lab at `/socket.io/socket.io.js` (no CDN).
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Server as Engine } from 'engine.io';
import type { FastifyRequest } from 'fastify';
import { type Socket, Server as SocketIoServer } from 'socket.io';
import { type PrivateSessionId, type Session, SessionAwareAdapter } from 'socket.io-adapter';
import {
  CLIENT_PATTERN,
  ERROR_CODES,
  type FeedMessage,
  ROUTES,
  SOCKET_IO_EVENTS,
  type SocketIoHello,
} from '../../contract/index.js';
import type { Attribution } from '../accounting/accounting.js';
import { MAX_BODY_BYTES } from '../config.js';
import { TooManyConnectionsError } from '../errors.js';
import { checkOrigin, isSameOrigin } from '../origin.js';
import { parseClient, parseCursor, type RawQuery } from '../query.js';
import { boundBacklog } from './socket-io-backlog.js';
import { defineTransport } from './transport.js';
import { frameBudget } from './websocket.js';

const CLIENT = new RegExp(CLIENT_PATTERN);
/** The files of the browser client, served from the socket.io package itself (its `client-dist/`). */
const CLIENT_FILES = ['socket.io.js', 'socket.io.js.map', 'socket.io.min.js', 'socket.io.min.js.map'];

/** The lab's Origin rule (server/origin.ts), as a yes/no for Socket.IO's own `cors` and `allowRequest`. */
function originAllowed(request: { headers: IncomingHttpHeaders }, allowed: readonly string[]): boolean {
  const origin = request.headers.origin;
  return origin === undefined || isSameOrigin(origin, request.headers.host) || allowed.includes(origin);
}

/** `@fastify/websocket` keeps the upgrade's first bytes under a symbol of its own; usually there are none. */
function upgradeHead(request: IncomingMessage): Buffer {
  const symbol = Object.getOwnPropertySymbols(request).find((s) => s.description === 'ws-head');
  const head = symbol === undefined ? undefined : (request as unknown as Record<symbol, unknown>)[symbol];
  return Buffer.isBuffer(head) ? head : Buffer.alloc(0);
}

/**
 * Socket.IO's recovery store, telling the lab what a recovery replayed (so it is counted as
 * delivered, as everything else the server sends is).
 */
function recoveryStore() {
  const replayed = new Map<PrivateSessionId, unknown[][]>();
  class FeedAdapter extends SessionAwareAdapter {
    override async restoreSession(pid: PrivateSessionId, offset: string): Promise<Session> {
      const session = await super.restoreSession(pid, offset);
      if (session) replayed.set(pid, session.missedPackets);
      return session;
    }
  }
  return {
    FeedAdapter,
    /** The feed messages replayed to the session `pid` (once). */
    takeReplayed(pid: unknown): FeedMessage[] {
      if (typeof pid !== 'string') return [];
      const packets = replayed.get(pid) ?? [];
      replayed.delete(pid);
      return packets.filter((packet) => packet[0] === SOCKET_IO_EVENTS.feed).map((packet) => packet[1] as FeedMessage);
    },
  };
}

/** The handshake `auth` as the shared query parser reads it (strings), or a clear error. */
function cursorOfAuth(auth: Record<string, unknown>): ReturnType<typeof parseCursor> {
  const query: RawQuery = {};
  for (const key of ['since', 'epoch'] as const) {
    const value = auth[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' && Number.isSafeInteger(value)) query[key] = String(value);
    else if (typeof value === 'string') query[key] = value;
    else query[key] = JSON.stringify(value); // refused by the parser, with the value shown
  }
  return parseCursor(query);
}

/** A Socket.IO middleware error carries `data` to the client's `connect_error`. */
function refusal(code: string, message: string): Error & { data: { code: string; message: string } } {
  return Object.assign(new Error(message), { data: { code, message } });
}

export default defineTransport('socket.io', async (app, { lab }) => {
  const { feed, accounting, options } = lab;

  // The notes' `cors` option, set explicitly to the lab's Origin rule (a foreign page is refused
  // before it gets here, by the route's hook; these say the same to Socket.IO itself).
  const cors = (
    request: { headers: IncomingHttpHeaders },
    callback: (error: Error | null, options: { origin: string | false; credentials: boolean }) => void,
  ): void => {
    const allowed = originAllowed(request, options.allowedOrigins);
    callback(null, { origin: allowed ? (request.headers.origin ?? false) : false, credentials: true });
  };
  const recovery = recoveryStore();
  const settings = {
    path: ROUTES['socket.io'],
    serveClient: false,
    cors,
    allowRequest: (request: IncomingMessage, callback: (error: string | null, ok: boolean) => void) =>
      callback(null, originAllowed(request, options.allowedOrigins)),
    maxHttpBufferSize: MAX_BODY_BYTES,
    pingInterval: options.socketIoPingMs,
    pingTimeout: options.socketIoPingTimeoutMs,
    connectionStateRecovery: { maxDisconnectionDuration: options.socketIoRecoveryMs, skipMiddlewares: true },
    adapter: recovery.FeedAdapter,
  };
  const engine = new Engine(settings);
  const io = new SocketIoServer(settings);
  io.bind(engine);

  // Engine.IO's requests, through Fastify: the global hooks have counted and attributed them by
  // now; refuse what the lab refuses, then hand the raw request (or upgrade) to Engine.IO.
  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: ROUTES['socket.io'],
    // Engine.IO writes its own head on the raw response.
    config: { transport: 'socket.io', rawHead: true },
    onRequest: (request: FastifyRequest, reply, done) => {
      try {
        checkOrigin(request, options.allowedOrigins);
        const query = request.query as RawQuery;
        parseClient(query);
        const handshake = query.sid === undefined;
        if (
          handshake &&
          request.method !== 'OPTIONS' &&
          (lab.closing || accounting.openStreams >= options.maxStreams)
        ) {
          throw new TooManyConnectionsError(options.maxStreams);
        }
      } catch (error) {
        done(error as Error);
        return;
      }
      reply.hijack();
      if (request.ws) engine.handleUpgrade(request.raw, request.raw.socket, upgradeHead(request.raw));
      else engine.handleRequest(request.raw, reply.raw);
      done();
    },
    handler: async () => {
      throw new Error('unreachable: the onRequest hook hands every request to Engine.IO');
    },
  });

  // The browser client, from the socket.io package itself.
  const clientDir = join(dirname(createRequire(import.meta.url).resolve('socket.io')), '..', 'client-dist');
  const version = (JSON.parse(readFileSync(join(clientDir, '..', 'package.json'), 'utf8')) as { version: string })
    .version;
  const files = new Map(CLIENT_FILES.map((name) => [name, readFileSync(join(clientDir, name))]));
  app.get('/socket.io/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    const body = files.get(file);
    if (body === undefined) {
      reply.code(404);
      return { statusCode: 404, code: 'LAB_NOT_FOUND', error: 'Not Found', message: `no such file ${file}` };
    }
    const etag = `"socket.io-client-${version}"`;
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(`application/${file.endsWith('.map') ? 'json' : 'javascript'}; charset=utf-8`).send(body);
  });

  const whoOf = new Map<Socket, Attribution>();

  // One broadcast per message; each connected socket counts it as delivered.
  const unsubscribe = feed.subscribe(
    (entry) => {
      io.emit(SOCKET_IO_EVENTS.feed, JSON.parse(entry.text) as FeedMessage);
      for (const who of whoOf.values()) accounting.delivered(who, [entry]);
    },
    // Behind a broker the feed can jump (a new epoch, a hole): every socket hears it, never a silent gap.
    (notice) => {
      io.emit(SOCKET_IO_EVENTS.reset, notice);
      for (const who of whoOf.values()) accounting.reset(who);
    },
  );

  // The lab's cursor is checked before the socket is admitted: a refusal is Socket.IO's own
  // `connect_error`, with the lab's code in `data`. (A recovered session skips this: it has no
  // use for the cursor.)
  io.use((socket, next) => {
    try {
      const cursor = cursorOfAuth(socket.handshake.auth);
      // Behind a broker a cursor from another instance may be a little ahead of this replica: wait
      // for it here, before the socket joins the broadcast (so nothing arrives twice). Memory: null.
      const settling = cursor === null ? null : lab.backend.settle(cursor);
      if (settling !== null) {
        settling.then(() => admit(cursor, next));
        return;
      }
      admit(cursor, next);
    } catch (error) {
      next(refusal(ERROR_CODES.badCursor, (error as Error).message));
    }
  });

  function admit(cursor: ReturnType<typeof cursorOfAuth>, next: (error?: Error) => void): void {
    if (cursor !== null && (cursor.epoch === null || cursor.epoch === feed.epoch) && cursor.seq > feed.head) {
      next(refusal(ERROR_CODES.futureCursor, `cursor ${cursor.seq} is ahead of head ${feed.head}: never sent`));
      return;
    }
    next();
  }

  io.on('connection', (socket) => {
    const client = socket.handshake.query.client;
    const who: Attribution = {
      bucket: 'socket.io',
      client: typeof client === 'string' && CLIENT.test(client) ? client : null,
      held: null,
    };
    const release = accounting.openStream({ who, close: () => socket.conn.close() });
    socket.once('disconnect', () => {
      whoOf.delete(socket);
      release();
    });

    const allowMessage = frameBudget(options.wsFramesPerSecond);
    socket.use((_event, next) => {
      if (allowMessage()) return next();
      socket.emit(SOCKET_IO_EVENTS.error, {
        code: ERROR_CODES.tooManyMessages,
        message: `more than ${options.wsFramesPerSecond} events/s`,
      });
      socket.disconnect(true);
    });
    socket.on(SOCKET_IO_EVENTS.publish, (data: unknown) => {
      const published = lab.backend.publish(data);
      // Behind a broker a publish can fail (Redis away): the client hears it, the socket stays.
      if (published instanceof Promise) {
        published.catch((error: Error & { code?: string }) =>
          socket.emit(SOCKET_IO_EVENTS.error, {
            code: error.code ?? ERROR_CODES.feedUnavailable,
            message: error.message,
          }),
        );
      }
    });
    socket.on(SOCKET_IO_EVENTS.echo, (value: unknown, ack: unknown) => {
      if (typeof ack === 'function') ack(value);
    });
    socket.onAny((event: unknown) => {
      if (event === SOCKET_IO_EVENTS.publish || event === SOCKET_IO_EVENTS.echo) return;
      socket.emit(SOCKET_IO_EVENTS.error, {
        code: ERROR_CODES.unknownType,
        message: `unknown event ${JSON.stringify(event)}: emit('publish', data) or emit('echo', x, ack)`,
      });
    });

    const hello: SocketIoHello = {
      epoch: feed.epoch,
      head: feed.head,
      oldest: feed.oldest,
      client: who.client,
      recovered: socket.recovered,
    };
    // Behind a broker, which instance serves this socket (a lone lab's hello is unchanged).
    if (lab.backend.kind !== 'memory') hello.instance = lab.instance;
    socket.emit(SOCKET_IO_EVENTS.hello, hello);
    if (socket.recovered) {
      // Socket.IO already queued what this client missed, ahead of its CONNECT: count it here.
      const replayed = recovery.takeReplayed(socket.handshake.auth.pid).map((message) => {
        const text = JSON.stringify(message);
        return { seq: message.seq, ts: message.ts, text, bytes: Buffer.byteLength(text) };
      });
      accounting.delivered(who, replayed);
    } else {
      const resolution = feed.resolve(cursorOfAuth(socket.handshake.auth));
      if (resolution.kind === 'ok') {
        if (resolution.reset) {
          accounting.reset(who);
          socket.emit(SOCKET_IO_EVENTS.reset, resolution.reset);
        }
        for (const entry of resolution.entries) socket.emit(SOCKET_IO_EVENTS.feed, JSON.parse(entry.text));
        accounting.delivered(who, resolution.entries);
      }
    }
    // Same turn as the backlog: the next broadcast reaches this socket, and no publish fell between.
    whoOf.set(socket, who);
    // A reader that stops reading is cut, as on the WebSocket lane (socket-io-backlog.ts). Watched
    // from here on: what the connection queued so far (a recovery's replay, the cursor's catch-up)
    // is its catch-up, which does not count against the live bound (docs/contract.md, "Catch-up").
    boundBacklog(socket.conn, options.slowConsumerBytes, (queuedBytes) => {
      whoOf.delete(socket);
      app.log.info({ client: who.client, queuedBytes }, 'socket.io: slow consumer cut');
    });
  });

  app.addHook('onClose', async () => {
    unsubscribe();
    await io.close();
  });
});
