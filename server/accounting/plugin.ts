/**
 * Wire accounting as a Fastify plugin, hooked into every request: bytes at the socket attributed
 * per request, request counts, and the routes that report them (`/api/stats`, its live stream for
 * the dashboard, `/metrics`) plus the one-click fault (`POST /api/clients/:client/cut`).
 * Wrapped in fastify-plugin so its hook and request decoration reach every route of the app, not
 * only those inside it. The stats routes are not transports, so their own traffic lands in
 * `other`, never in a transport's counters.
 */
import type { ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import fp from 'fastify-plugin';
import { isClientId, type StatsStreamEvent } from '../../contract/index.js';
import { requireMayCut } from '../classroom/guard.js';
import { protocolOf } from '../h2/protocols.js';
import type { Lab, LabPluginOptions } from '../lab.js';
import { checkOrigin } from '../origin.js';
import {
  boundedInt,
  CLIENT_QUERY,
  ClientIdSchema,
  FEED_FIELDS,
  querySchema,
  queryValidator,
  TransportNameSchema,
} from '../query.js';
import type { RequestStep } from '../request-steps.js';
import type { Attribution } from './ledger.js';
import { createMetrics } from './metrics.js';
import { h2Report, statsReport, statsReportsById } from './report.js';

/** Push interval of the live stats stream, ms. */
const STATS_INTERVAL = { min: 100, max: 10_000, default: 500 };
/** The live stats stream's query: up to 16 client ids (others are dropped) and the push interval. */
const STATS_STREAM_QUERY = querySchema(
  Type.Object({
    client: FEED_FIELDS.client,
    clients: Type.Optional(Type.String({ maxLength: 4096 })),
    interval: boundedInt(STATS_INTERVAL),
  }),
);
const CUT_SCHEMA = {
  schema: {
    params: Type.Object({ client: ClientIdSchema }),
    querystring: Type.Object({ transport: Type.Optional(TransportNameSchema) }),
  },
  validatorCompiler: queryValidator,
};

/**
 * What every request begins with: its attribution, its protocol noted, its bytes metered from here,
 * one request counted. A step of the one per-request hook (server/request-steps.ts), run for every
 * route, those registered before this plugin's too. Which app this is decides where bytes are read
 * (an h2 stream, or the socket), once, not per request.
 */
export function accountingBegin(lab: Lab, protocol: 'http/1.1' | 'h2'): RequestStep {
  const { accounting } = lab;
  const h2 = protocol === 'h2';
  return (request, reply) => {
    const who = accounting.who(request);
    if (h2) {
      const stream = (request.raw as unknown as { stream: ServerHttp2Stream }).stream;
      accounting.protocols.note(who, accounting.sessions.isTls(stream) ? 'h2' : 'h2c');
      accounting.sessions.begin(stream, who);
    } else {
      accounting.protocols.note(who, protocolOf(request.raw));
      accounting.meter.begin(request.raw.socket, who, reply.raw);
    }
    accounting.request(who);
    return undefined;
  };
}

const accounting: FastifyPluginAsyncTypebox<LabPluginOptions> = async (app, { lab, protocol = 'http/1.1' }) => {
  const { accounting } = lab;
  // HTTP/1.1 sockets are metered from the moment they are accepted; h2 connections were wrapped in
  // a FrameTap by server/h2/listeners.ts before the h2 app's server saw them.
  if (protocol === 'http/1.1') app.server.on('connection', (socket: Socket) => accounting.meter.track(socket));

  // Declared up front so every request object has the same shape (Fastify's advice for decorations).
  app.decorateRequest('labWho', null);
  const h2 = protocol === 'h2';
  // Settle at the end of the response, so the counters are live between requests on a keep-alive
  // socket. An onResponse hook, not a 'finish' listener per request: Fastify already listens for
  // every response's end, and this one function serves them all (no closure per request).
  // (An upgraded WebSocket keeps its attribution until the socket closes.)
  app.addHook('onResponse', (request, _reply, done) => {
    if (h2) accounting.sessions.settleStream((request.raw as unknown as { stream: ServerHttp2Stream }).stream);
    else accounting.meter.settleSocket(request.raw.socket);
    done();
  });

  app.get('/api/stats', CLIENT_QUERY, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return statsReport(lab, request.query.client ?? null);
  });

  // Live stats for the dashboard: one SSE stream, counted in `other`.
  app.get('/api/stats/stream', { ...STATS_STREAM_QUERY, config: { rawHead: true } }, (request, reply) => {
    const { interval } = request.query;
    const clients = (request.query.clients?.split(',') ?? []).filter((id) => isClientId(id)).slice(0, 16);
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    const push = () => {
      const event: StatsStreamEvent = {
        clients: statsReportsById(lab, clients),
        protocols: Object.fromEntries(clients.map((id) => [id, accounting.protocols.of(id)])),
      };
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    };
    push();
    const timer = setInterval(push, interval);
    const release = accounting.openStream({
      who: { bucket: 'other', client: null, held: null },
      close: () => res.end(),
    });
    res.once('close', () => {
      clearInterval(timer);
      release();
    });
  });

  app.get('/api/stats/h2', CLIENT_QUERY, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return h2Report(lab, request.query.client ?? null);
  });

  const metrics = createMetrics(lab);
  app.addHook('onClose', async () => metrics.stop());
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  // The Origin is checked before the schema: a foreign page gets its 403 whatever it sent.
  const sameOrigin = async (request: Parameters<typeof checkOrigin>[0]) =>
    checkOrigin(request, lab.options.allowedOrigins);
  app.post('/api/clients/:client/cut', { ...CUT_SCHEMA, preValidation: sameOrigin }, async (request) => {
    const { client } = request.params;
    const { transport } = request.query;
    requireMayCut(request, lab, client);
    const match = (who: Attribution) => who.client === client && (transport === undefined || who.bucket === transport);
    // Over HTTP/2 a connection is shared: the client's streams are reset, not the connection.
    const cut = accounting.meter.destroyWhere(match) + accounting.sessions.destroyWhere(match);
    return { client, transport: transport ?? null, socketsCut: cut };
  });
};

export const accountingPlugin = fp(accounting, { name: 'lab-accounting', fastify: '5.x' });
