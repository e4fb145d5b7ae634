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
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { CLIENT_PATTERN, isClientId, isTransportName, type StatsStreamEvent } from '../../contract/index.js';
import { requireMayCut } from '../classroom/guard.js';
import { BadQueryError } from '../errors.js';
import { protocolOf } from '../h2/protocols.js';
import type { LabPluginOptions } from '../lab.js';
import { checkOrigin } from '../origin.js';
import { CLIENT_QUERY, parseBoundedInt, parseClient, type RawQuery } from '../query.js';
import type { Attribution } from './ledger.js';
import { createMetrics } from './metrics.js';
import { h2Report, statsReport, statsReportsById } from './report.js';

const accounting: FastifyPluginAsync<LabPluginOptions> = async (app, { lab, protocol = 'http/1.1' }) => {
  const { accounting } = lab;
  // HTTP/1.1 sockets are metered from the moment they are accepted; h2 connections were wrapped in
  // a FrameTap by server/h2/listeners.ts before the h2 app's server saw them.
  if (protocol === 'http/1.1') app.server.on('connection', (socket: Socket) => accounting.meter.track(socket));

  // Declared up front so every request object has the same shape (Fastify's advice for decorations).
  app.decorateRequest('labWho', null);
  // A callback hook, not an async one: this runs on every request and awaits nothing.
  app.addHook('onRequest', (request, reply, done) => {
    const who = accounting.who(request);
    const stream = (request.raw as { stream?: ServerHttp2Stream }).stream;
    if (stream !== undefined) {
      accounting.protocols.note(who, accounting.sessions.isTls(stream) ? 'h2' : 'h2c');
      accounting.sessions.begin(stream, who);
    } else {
      accounting.protocols.note(who, protocolOf(request.raw));
      accounting.meter.begin(request.raw.socket, who, reply.raw);
    }
    accounting.request(who);
    done();
  });
  // Settle at the end of the response, so the counters are live between requests on a keep-alive
  // socket. An onResponse hook, not a 'finish' listener per request: Fastify already listens for
  // every response's end, and this one function serves them all (no closure per request).
  // (An upgraded WebSocket keeps its attribution until the socket closes.)
  app.addHook('onResponse', (request, _reply, done) => {
    const stream = (request.raw as { stream?: ServerHttp2Stream }).stream;
    if (stream !== undefined) accounting.sessions.settleStream(stream);
    else accounting.meter.settleSocket(request.raw.socket);
    done();
  });

  app.get('/api/stats', CLIENT_QUERY, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return statsReport(lab, parseClient(request.query as RawQuery));
  });

  // Live stats for the dashboard: one SSE stream, counted in `other`.
  app.get('/api/stats/stream', (request, reply) => {
    const query = request.query as RawQuery;
    const clients = (typeof query.clients === 'string' ? query.clients.split(',') : [])
      .filter((id) => isClientId(id))
      .slice(0, 16);
    const interval = parseBoundedInt(
      query,
      'interval',
      { min: 100, max: 10_000, default: 500 },
      (m) => new BadQueryError(m),
    );
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
    const release = accounting.openStream({ who: { bucket: 'other', client: null }, close: () => res.end() });
    res.once('close', () => {
      clearInterval(timer);
      release();
    });
  });

  app.get('/api/stats/h2', CLIENT_QUERY, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return h2Report(lab, parseClient(request.query as RawQuery));
  });

  const metrics = createMetrics(lab);
  app.addHook('onClose', async () => metrics.stop());
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.post('/api/clients/:client/cut', async (request) => {
    checkOrigin(request, lab.options.allowedOrigins);
    const { client } = request.params as { client: string };
    const transport = (request.query as RawQuery).transport;
    if (!isClientId(client)) throw new BadQueryError(`client must match ${CLIENT_PATTERN}`);
    requireMayCut(request, lab, client);
    if (transport !== undefined && !isTransportName(transport))
      throw new BadQueryError(`unknown transport ${String(transport)}`);
    const match = (who: Attribution) => who.client === client && (transport === undefined || who.bucket === transport);
    // Over HTTP/2 a connection is shared: the client's streams are reset, not the connection.
    const cut = accounting.meter.destroyWhere(match) + accounting.sessions.destroyWhere(match);
    return { client, transport: transport ?? null, socketsCut: cut };
  });
};

export const accountingPlugin = fp(accounting, { name: 'lab-accounting', fastify: '5.x' });
