/**
 * WebSocket: `GET /api/ws`. A `hello` frame first, then a `reset` if the cursor was not honoured,
 * then the backlog and live messages, one text frame each holding the message JSON. Control frames
 * are JSON with a `type`; the client may send `publish` (into the feed) and `echo` (sent back).
 *
 * Subprotocols (contract: WS_SUBPROTOCOLS): the server picks by its own preference among those
 * offered (`handleProtocols` in server/app.ts) and answers none it does not speak; under
 * `lab.v1.msgpack` every frame, both ways, is binary MessagePack of the same object (ws-codec.ts).
 * permessage-deflate (RFC 7692) is accepted only on `?compress=1`: otherwise the client's offer is
 * kept out of ws's sight, so it is declined, and the inspector still shows the offer as sent.
 *
 * Bad input never costs the connection unless it must: bad JSON or an unknown type gets an `error`
 * frame; a bad cursor closes 4400, a flood 4429, a frame over 64 KiB 1009 (ws does that, after
 * inflation: a small compressed frame that inflates past the limit is a 1009 too), a
 * consumer that does not read 4001 (it resumes by cursor), a shutdown 1012.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import { type Handshake, present, ROUTES, WS_COMPRESS_PARAM } from '../../contract/index.js';
import { BadQueryError, NoHandshakeError, TooManyConnectionsError } from '../errors.js';
import type { Lab } from '../lab.js';
import { checkOrigin } from '../origin.js';
import { CLIENT_QUERY, type RawQuery } from '../query.js';
import { TickFanOut } from './tick-batch.js';
import { defineTransport } from './transport.js';
import { TickBytes, WsConnection, type WsShared } from './ws-connection.js';
import { WS_WIRE } from './ws-frame.js';
import { checkUpgradeHeaders } from './ws-guard.js';
import { WsHeartbeat } from './ws-heartbeat.js';
import { LabWebSocket, labSocket } from './ws-socket.js';

/** `compress=1` turns permessage-deflate negotiation on; absent or `0`, off. Anything else is a 400. */
function wantsCompression(query: RawQuery): boolean {
  const value = query[WS_COMPRESS_PARAM];
  if (value === undefined || value === '0') return false;
  if (value === '1') return true;
  throw new BadQueryError(`${WS_COMPRESS_PARAM} must be 0 or 1, got ${JSON.stringify(value)}`);
}

/** Token bucket for incoming frames: `rate` per second, bursts up to two seconds' worth (Socket.IO's). */
export function frameBudget(rate: number): () => boolean {
  let tokens = rate * 2;
  let last = performance.now();
  return () => {
    const now = performance.now();
    tokens = Math.min(rate * 2, tokens + ((now - last) / 1000) * rate);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/** The last opening handshake of each client id is kept, as it was on the wire (for the dashboard's inspector). */
const MAX_HANDSHAKES = 256;

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; ; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name === undefined || value === undefined) return out;
    out.push([name, value]);
  }
}

const handshakesByLab = new WeakMap<Lab, Map<string, Handshake>>();
function handshakesOf(lab: Lab): Map<string, Handshake> {
  let map = handshakesByLab.get(lab);
  if (!map) {
    map = new Map();
    handshakesByLab.set(lab, map);
  }
  return map;
}

/**
 * @fastify/websocket routes the upgrade through Fastify with a ServerResponse of its own, assigned
 * to the socket and never finished: once the socket is a WebSocket, let it go, or every idle
 * connection keeps its request, its reply and their headers for as long as it lives.
 */
function releaseUpgradeResponse(socket: Socket): void {
  const internals = socket as Socket & { _httpMessage?: ServerResponse | null; _sockname?: object | null };
  internals._httpMessage?.detachSocket(socket);
  // The Host check read the socket's local address (server/security/host.ts), and Node keeps it
  // on the socket from then on (an object and a string, 88 B): nothing reads it after the
  // upgrade, and Node reads it again if anything asks.
  internals._sockname = null;
}

/** ws's set of a server's sockets, each a LabWebSocket (the server's `WebSocket` option, set below). */
function trackedSockets(server: WebSocketServer): Set<LabWebSocket> {
  if (!(server.clients instanceof Set)) throw new Error('websocket: ws must track its clients (clientTracking)');
  return server.clients as Set<WebSocket> as Set<LabWebSocket>;
}

export default defineTransport('websocket', async (app, { lab }) => {
  const { accounting, options } = lab;
  const shared: WsShared = {
    lab,
    // One feed subscription for every socket: a tick's messages framed once per codec, one write per socket.
    fanOut: new TickFanOut(lab.feed, WS_WIRE),
    // The sweep walks ws's own set of this server's sockets (clientTracking, ws's default).
    heartbeat: new WsHeartbeat(options.wsPingMs, trackedSockets(app.websocketServer)),
    fragmentLimits: { maxFragments: options.wsMaxFragments, timeoutMs: options.wsFragmentTimeoutMs },
    instance: lab.backend.kind === 'memory' ? undefined : lab.instance,
    log: app.log,
    tick: new TickBytes(),
  };
  const { instance } = shared;
  // Every socket this route upgrades is a LabWebSocket, which hands its events to its connection
  // without a listener each (ws-socket.ts); ws makes each socket of `options.WebSocket` at the upgrade.
  // (ws's types ask for the module's statics on the class too; ws itself only calls `new`.)
  const { options: wsOptions } = app.websocketServer;
  wsOptions.WebSocket = LabWebSocket as unknown as NonNullable<typeof wsOptions.WebSocket>;

  // ws tells us the 101 response lines just before it writes them: keep both sides, per client.
  // One map per lab, not per app: the page may ask over h2 about a WebSocket upgraded over HTTP/1.1.
  const handshakes = handshakesOf(lab);
  app.websocketServer.on('headers', (lines: string[], request: IncomingMessage) => {
    // Behind a broker, the 101 names the instance too (Fastify's hooks do not reach it).
    if (instance !== undefined) lines.push(`X-Lab-Instance: ${instance}`);
    const client = new URL(request.url ?? '/', 'http://x').searchParams.get('client');
    if (client === null) return;
    const oldest = handshakes.keys().next().value;
    if (handshakes.size >= MAX_HANDSHAKES && oldest !== undefined) handshakes.delete(oldest);
    handshakes.set(client, {
      at: Date.now(),
      request: {
        line: `${request.method} ${request.url} HTTP/${request.httpVersion}`,
        headers: pairs(request.rawHeaders),
      },
      response: {
        line: present(lines[0], "ws's 'headers' event: the status line"),
        headers: lines.slice(1).map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon), line.slice(colon + 1).trim()] as [string, string];
        }),
      },
    });
  });
  app.get('/api/handshake', CLIENT_QUERY, async (request) => {
    const client = request.query.client ?? null;
    const handshake = client === null ? undefined : handshakes.get(client);
    if (!handshake) throw new NoHandshakeError(String(client));
    return handshake;
  });

  app.get(
    ROUTES.websocket,
    {
      websocket: true,
      config: { transport: 'websocket' },
      // Refused before the upgrade, with a plain HTTP status: 403 for a foreign page, 503 when full.
      preValidation: async (request, reply) => {
        checkUpgradeHeaders(request, reply);
        checkOrigin(request, options.allowedOrigins);
        if (lab.closing || accounting.openStreams >= options.maxStreams)
          throw new TooManyConnectionsError(options.maxStreams);
        // ws negotiates permessage-deflate from this header alone (server/app.ts enables it):
        // without compress=1 it must not see the offer. rawHeaders keep it for the inspector.
        if (!wantsCompression(request.query as RawQuery)) delete request.raw.headers['sec-websocket-extensions'];
      },
    },
    (socket: WebSocket, request) => {
      releaseUpgradeResponse(request.raw.socket);
      const connection = new WsConnection(labSocket(socket), accounting.who(request), shared);
      connection.takeErrors();
      connection.start(request.query as RawQuery);
    },
  );
});
