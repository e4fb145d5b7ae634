/**
 * Builds the lab's Fastify app. Only server/main.ts listens and handles signals; tests and the
 * scenario runner build their own app (or process) from here.
 */
import { existsSync } from 'node:fs';
import type { ServerHttp2Session } from 'node:http2';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { pickSubprotocol, TRANSPORTS } from '../contract/index.js';
import { accountingBegin, accountingPlugin } from './accounting/plugin.js';
import { classroomPlugin, createClassroom } from './classroom/plugin.js';
import { type LabOptions, MAX_BODY_BYTES, resolveOptions, WS_DEFLATE } from './config.js';
import { FastLane } from './fast-lane.js';
import { feedPlugin } from './feed/routes.js';
import { registerPushDemo } from './h2/push-demo.js';
import { createLab, type Lab } from './lab.js';
import { ListenerPorts, networkPlugin } from './networks.js';
import { addRequestSteps, type RequestStep } from './request-steps.js';
import { securityHeaders } from './security/headers.js';
import { hostRefusal as hostRefusalOf } from './security/host.js';
import { PollLimiter, pollLimit } from './security/poll-limit.js';
import { transports } from './transports/index.js';

/** How long shutdown waits for streams to say goodbye (1012 frames, final long-poll answers). */
const DRAIN_MS = 1_000;

/** Streams one h2 connection may have open at once: the common 100 (browsers expect at least that). */
export const H2_MAX_CONCURRENT_STREAMS = 100;
/** A request's header list, decoded, at most (HTTP/1.1's header limit is 16 KiB in Node; h2's is set here). */
export const H2_MAX_HEADER_LIST_BYTES = 16 * 1024;

/** The `X-Lab-Instance` header on every answer that goes through Fastify's reply. */
function instanceHeader(instance: string): RequestStep {
  return (_request, reply) => {
    reply.header('x-lab-instance', instance);
    return undefined;
  };
}

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

  const lab = createLab(options);
  lab.classroom = createClassroom(lab);
  const { backend } = lab;
  // A broker that cannot be reached fails the build, with its reason: main.ts exits on it.
  await backend.start(lab.feed, lab.ticker).catch(async (error) => {
    await app.close();
    throw error;
  });
  app.addHook('onClose', async () => backend.close());

  // Shutdown: stop the ticker, then end every stream its own way — pending long polls get a
  // 200 with no messages, SSE streams end, WebSockets close 1012 — and give them a moment to flush.
  app.addHook('preClose', async () => {
    lab.closing = true;
    lab.ticker.stop();
    // (Streams served over HTTP/2 are in the same registry: one shutdown for every protocol.)
    lab.accounting.closeAllStreams();
    const deadline = Date.now() + DRAIN_MS;
    while (lab.accounting.openStreams > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
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
 * The same lab (one feed, one accounting, one registry of streams) served by a second Fastify
 * instance that speaks HTTP/2: Fastify serves one server per instance, and a Node http2 server hands
 * its requests over as `Http2ServerRequest`s, which only an `http2: true` instance handles. It never
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
  app.server.on('session', (session: ServerHttp2Session) => lab.accounting.sessions.adopt(session));
  await registerLab(app, lab, 'h2');
  await app.ready();
  return app;
}

async function registerLab(app: FastifyInstance, lab: Lab, protocol: 'http/1.1' | 'h2'): Promise<void> {
  const { options } = lab;
  app.decorate('lab', lab);
  // Bodies are JSON or nothing: anything else is a 415, not a string quietly accepted.
  app.removeContentTypeParser('text/plain');
  await app.register(fastifyWebsocket, {
    options: {
      // ws applies maxPayload to the INFLATED message too: a zip bomb is a 1009, not a heap.
      maxPayload: MAX_BODY_BYTES,
      // The server's preference, not the client's order; none we speak → no header (RFC 6455 §4.2.2).
      handleProtocols: (offered: Set<string>) => pickSubprotocol(offered) ?? false,
      // Negotiated only on /api/ws?compress=1 (server/transports/websocket.ts hides other offers).
      perMessageDeflate: WS_DEFLATE,
    },
    // The default preClose closes sockets with 1005; ours (above) already sent 1012.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.terminate();
      this.websocketServer.close(() => done());
    },
  });
  // Every request's own work, as ONE onRequest hook (server/request-steps.ts), added before every
  // route so it reaches them all, in this order: a refused request is still counted (accounting
  // before the Host guard and the poll limit), and a refusal still carries the security headers.
  const listenerPorts = new ListenerPorts(lab);
  const limiter = new PollLimiter(options.pollRequestsPerSecond);
  const hostRefusal = hostRefusalOf(lab);
  addRequestSteps(app, [
    // Which instance answered: behind a round-robin balancer, each request may meet another one.
    // Only behind a broker: a lone memory-backed lab keeps its bytes on the wire as they were.
    ...(lab.backend.kind !== 'memory' ? [instanceHeader(lab.instance)] : []),
    securityHeaders(app),
    accountingBegin(lab, protocol),
    // The Host guard (server/security/host.ts).
    hostRefusal,
    pollLimit(lab, limiter),
    // CORS for requests through a network listener (server/networks.ts).
    listenerPorts.step,
  ]);
  // Its onResponse hook (fastify-plugin, so it is not encapsulated) reaches every route registered
  // after it. The feed and each transport are encapsulated plugins.
  await app.register(accountingPlugin, { lab, protocol });
  await app.register(feedPlugin, { lab });
  await app.register(classroomPlugin, { lab });
  app.get('/api/endpoints', async () => lab.ports);
  registerPushDemo(app, lab, protocol);
  // Networks: its routes start the listeners whose ports the CORS step above knows.
  await app.register(networkPlugin, { lab, listenerPorts });
  // The fast lane (server/fast-lane.ts): HTTP/1.1, a feed in this process, and no request log to keep.
  const fastLane =
    protocol === 'http/1.1' && lab.backend.kind === 'memory' && !options.logger
      ? new FastLane(lab, limiter, hostRefusal)
      : undefined;
  fastLane?.install(app.server);
  if (fastLane) lab.fastLane = fastLane;
  for (const name of TRANSPORTS) await app.register(transports[name].plugin, { lab, fastLane });

  if (options.webRoot && existsSync(options.webRoot)) {
    await app.register(fastifyStatic, { root: options.webRoot });
    app.get('/class', (_request, reply) => reply.sendFile('class.html'));
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain')
        .send('Transport Lab: the dashboard is not built. Run `npm start` (it builds web/ first).\n'),
    );
  }
}
