/**
 * Bare Fastify (scenarios/fastify-baseline-server.ts) plus named pieces of the lab's Fastify
 * machinery, so scenarios/bench/poll-machinery.ts can say what each piece costs a short poll:
 * MACHINERY is a comma list of
 * - `hooks`: as many no-op onRequest and onResponse hooks as the lab had (6 and 2), and the
 *   handler wrapped once as @fastify/websocket wraps every route's;
 * - `hook1`: one no-op onRequest hook and one onResponse hook (what the lab has now);
 * - `schema`: the short poll's query schema, checked by the lab's validator (server/query.ts);
 * - `headers`: the security headers put in by the lab's own step (server/security/headers.ts), in
 *   an onRequest hook of its own, instead of by the handler.
 * Same body, same headers (BASELINE_BODY, BASELINE_HEADERS) in every variant.
 */
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { POLL_LIMIT } from '../../contract/index.js';
import { boundedInt, FEED_FIELDS, querySchema } from '../../server/query.js';
import { addRequestSteps } from '../../server/request-steps.js';
import { securityHeaders } from '../../server/security/headers.js';
import { baselineHeaders } from '../baseline-head.js';

const pieces = new Set((process.env.MACHINERY ?? '').split(',').filter((p) => p !== ''));
for (const piece of pieces)
  if (!['hooks', 'hook1', 'schema', 'headers'].includes(piece)) throw new Error(`unknown MACHINERY piece ${piece}`);

const body = process.env.BASELINE_BODY ?? '{}';
const all = baselineHeaders();
// With `headers`, the lab's hook sets the security headers; the handler sets only its own two.
const OWN = new Set(['content-type', 'cache-control']);
const headers = Object.fromEntries(pieces.has('headers') ? all.filter(([n]) => OWN.has(n.toLowerCase())) : all);

const app = Fastify({ logger: false });
if (pieces.has('headers')) addRequestSteps(app, [securityHeaders(app)]);
const [onRequests, onResponses] = pieces.has('hooks') ? [6, 2] : pieces.has('hook1') ? [1, 1] : [0, 0];
for (let i = 0; i < onRequests; i++) app.addHook('onRequest', (_request, _reply, done) => done());
for (let i = 0; i < onResponses; i++) app.addHook('onResponse', (_request, _reply, done) => done());

const handler = (_request: FastifyRequest, reply: FastifyReply) => {
  reply.headers(headers);
  return reply.send(body);
};
const marker = Symbol('ws');
const route = pieces.has('hooks')
  ? function wrapped(request: FastifyRequest, reply: FastifyReply) {
      if ((request.raw as unknown as Record<symbol, unknown>)[marker]) return reply.hijack();
      return handler(request, reply);
    }
  : handler;
const schema = pieces.has('schema') ? querySchema(Type.Object({ ...FEED_FIELDS, limit: boundedInt(POLL_LIMIT) })) : {};
app.get('/api/poll', schema, route);

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
console.log(`Fastify+${[...pieces].join('+') || 'nothing'} listening on http://127.0.0.1:${port} (epoch none)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
