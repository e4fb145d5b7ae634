/**
 * Builds the lab's Fastify app. Only server/main.ts listens and handles signals; tests and the
 * scenario runner build their own app (or process) from here.
 */
import { existsSync } from 'node:fs';
import type { ServerHttp2Session } from 'node:http2';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { TRANSPORTS } from '../contract/index.js';
import { Ledger } from './accounting/ledger.js';
import { accounting } from './accounting/plugin.js';
import { WireMeter } from './accounting/wire-meter.js';
import { type LabOptions, MAX_BODY_BYTES, resolveOptions } from './config.js';
import { Feed } from './feed/feed.js';
import { feedRoutes } from './feed/routes.js';
import { Ticker } from './feed/ticker.js';
import { H2Ledger, TlsTally } from './h2/h2-ledger.js';
import { ProtocolBook } from './h2/protocols.js';
import { SessionMeter } from './h2/session-meter.js';
import { type Lab, StreamRegistry } from './lab.js';
import { securityHeaders } from './security/headers.js';
import { transports } from './transports/index.js';

/** How long shutdown waits for streams to say goodbye (1012 frames, final long-poll answers). */
const DRAIN_MS = 1_000;

/** Streams one h2 connection may have open at once: the common 100 (browsers expect at least that). */
export const H2_MAX_CONCURRENT_STREAMS = 100;
/** A request's header list, decoded, at most (HTTP/1.1's header limit is 16 KiB in Node; h2's is set here). */
export const H2_MAX_HEADER_LIST_BYTES = 16 * 1024;

export async function buildApp(partial: Partial<LabOptions> = {}): Promise<FastifyInstance> {
  const options = resolveOptions(partial);
  const app = Fastify({
    logger: options.logger,
    bodyLimit: MAX_BODY_BYTES,
    // Close keep-alive sockets on app.close(), or it waits for idle clients.
    forceCloseConnections: true,
    // Slowloris: a client has headersTimeoutMs for its headers and requestTimeoutMs for its whole
    // request. Node checks these every connectionsCheckingInterval (30 s by default), hence `http`.
    requestTimeout: options.requestTimeoutMs,
    http: {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, options.headersTimeoutMs),
    },
  });

  const ledger = new Ledger();
  const feed = new Feed(options.retention);
  const h2frames = new H2Ledger();
  const tls = new TlsTally();
  const lab: Lab = {
    options,
    feed,
    ticker: new Ticker(feed, options),
    ledger,
    meter: new WireMeter(ledger),
    sessions: new SessionMeter(ledger, h2frames, tls),
    h2frames,
    tls,
    protocols: new ProtocolBook(),
    streams: new StreamRegistry(ledger),
    closing: false,
    closeAfter: [],
    ports: { http: null, https: null, h2c: null },
  };

  // Shutdown: stop the ticker, then end every stream its own way — pending long polls get a
  // 200 with no messages, SSE streams end, WebSockets close 1012 — and give them a moment to flush.
  // (Streams served over HTTP/2 are in the same registry: one shutdown for every protocol.)
  app.addHook('preClose', async () => {
    lab.closing = true;
    lab.ticker.stop();
    lab.streams.closeAll();
    const deadline = Date.now() + DRAIN_MS;
    while (lab.streams.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  });
  app.addHook('onClose', async () => {
    for (const close of lab.closeAfter) await close();
  });
  await registerLab(app, lab, 'http/1.1');
  // Whoever makes the app listen, the port it got is known from then on.
  app.server.once('listening', () => {
    const address = app.server.address();
    if (typeof address === 'object' && address) lab.ports.http = address.port;
  });
  return app;
}

/**
 * The same lab (one feed, one ledger, one registry of streams) served by a second Fastify instance
 * that speaks HTTP/2: Fastify serves one server per instance, and a Node http2 server hands its
 * requests over as `Http2ServerRequest`s, which only an `http2: true` instance handles. It never
 * listens itself: server/h2/listeners.ts hands it connections (TLS with ALPN h2, or cleartext h2c)
 * through a FrameTap, so every frame is accounted.
 */
export async function buildH2App(lab: Lab): Promise<FastifyInstance> {
  // Typed as the HTTP/1.1 instance the routes are written for: Node's http2 compatibility API
  // (Http2ServerRequest/Response) gives them the same request and response surface.
  const app = (Fastify as unknown as (options: object) => FastifyInstance)({
    http2: true,
    logger: lab.options.logger,
    bodyLimit: MAX_BODY_BYTES,
    forceCloseConnections: true,
    // Passed to http2.createServer: the bounds a stream flood or a header bomb meets (RFC 9113 §6.5.2).
    http: {
      settings: { maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS, maxHeaderListSize: H2_MAX_HEADER_LIST_BYTES },
      maxSessionMemory: 10,
    },
  });
  app.server.on('session', (session: ServerHttp2Session) => lab.sessions.adopt(session));
  await registerLab(app, lab, 'h2');
  await app.ready();
  return app;
}

async function registerLab(app: FastifyInstance, lab: Lab, protocol: 'http/1.1' | 'h2'): Promise<void> {
  app.decorate('lab', lab);
  // Bodies are JSON or nothing: anything else is a 415, not a string quietly accepted.
  app.removeContentTypeParser('text/plain');

  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_BODY_BYTES },
    // The default preClose closes sockets with 1005; ours (above) already sent 1012.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.terminate();
      this.websocketServer.close(() => done());
    },
  });
  await securityHeaders(app);
  await accounting(app, lab, protocol);
  await feedRoutes(app, lab);
  app.get('/api/endpoints', async () => lab.ports);
  for (const name of TRANSPORTS) await transports[name].register(app, lab);

  const { options } = lab;
  if (options.webRoot && existsSync(options.webRoot)) {
    await app.register(fastifyStatic, { root: options.webRoot });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain')
        .send('Transport Lab: the dashboard is not built. Run `npm start` (it builds web/ first).\n'),
    );
  }
}
