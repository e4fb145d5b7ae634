/**
 * Builds the lab's Fastify app. Only server/main.ts listens and handles signals; tests and the
 * scenario runner build their own app (or process) from here.
 */
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { pickSubprotocol, TRANSPORTS } from '../contract/index.js';
import { accountingPlugin } from './accounting/plugin.js';
import { type LabOptions, MAX_BODY_BYTES, resolveOptions, WS_DEFLATE } from './config.js';
import { feedPlugin } from './feed/routes.js';
import { createLab } from './lab.js';
import { networkPlugin } from './networks.js';
import { securityHeaders } from './security/headers.js';
import { hostGuard } from './security/host.js';
import { pollLimit } from './security/poll-limit.js';
import { transports } from './transports/index.js';

/** How long shutdown waits for streams to say goodbye (1012 frames, final long-poll answers). */
const DRAIN_MS = 1_000;

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
  const { backend } = lab;
  // A broker that cannot be reached fails the build, with its reason: main.ts exits on it.
  await backend.start(lab.feed, lab.ticker).catch(async (error) => {
    await app.close();
    throw error;
  });
  app.decorate('lab', lab);
  app.addHook('onClose', async () => backend.close());
  // Which instance answered: behind a round-robin balancer, each request may meet another one.
  // Only behind a broker: a lone memory-backed lab keeps its bytes on the wire as they were.
  if (backend.kind !== 'memory') {
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('x-lab-instance', lab.instance);
    });
  }
  // Bodies are JSON or nothing: anything else is a 415, not a string quietly accepted.
  app.removeContentTypeParser('text/plain');

  // Shutdown: stop the ticker, then end every stream its own way — pending long polls get a
  // 200 with no messages, SSE streams end, WebSockets close 1012 — and give them a moment to flush.
  app.addHook('preClose', async () => {
    lab.closing = true;
    lab.ticker.stop();
    lab.accounting.closeAllStreams();
    const deadline = Date.now() + DRAIN_MS;
    while (lab.accounting.openStreams > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  });

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
  await securityHeaders(app);
  // Accounting first: its onRequest hook (fastify-plugin, so it is not encapsulated) must reach
  // every route registered after it. The feed and each transport are encapsulated plugins.
  await app.register(accountingPlugin, { lab });
  // After accounting (a refused request is still counted), before every route.
  await hostGuard(app, lab);
  await pollLimit(app, lab);
  await app.register(feedPlugin, { lab });
  // Networks before the transports: its hooks (CORS for requests through a listener) reach them.
  await app.register(networkPlugin, { lab });
  for (const name of TRANSPORTS) await app.register(transports[name].plugin, { lab });

  if (options.webRoot && existsSync(options.webRoot)) {
    await app.register(fastifyStatic, { root: options.webRoot });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain')
        .send('Transport Lab: the dashboard is not built. Run `npm start` (it builds web/ first).\n'),
    );
  }
  return app;
}
