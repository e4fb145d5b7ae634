/**
 * Bare Fastify long poll: the long poll of bare-long-poll-server.ts, served by a bare Fastify app
 * (no lab plugins, no hooks, no query schema, no accounting). Between it and bare node:http is what
 * Fastify itself costs a long poll; between the lab and it, what the lab's own work costs. An
 * informational row of `npm run bench`: the goal divides by bare node:http.
 */
import Fastify, { type FastifyReply } from 'fastify';
import type { FeedEntry } from '../../server/feed/feed.js';
import { baselineHeaders } from '../baseline-head.js';
import { bareFeed } from './bare-feed.js';

const { feed, state, update } = bareFeed();
// The lab's own answer headers (the bench passes them, scenarios/baseline-head.ts): like with like.
const HEADERS = Object.fromEntries(baselineHeaders());
let waiting: FastifyReply[] = [];

const body = (entries: readonly FeedEntry[]): string =>
  `{"epoch":"${feed.epoch}","head":${feed.head},"messages":[${entries.map((e) => e.text).join(',')}]}`;

// Fastify's default keep-alive (72 s) is the lab's and the bare servers' (bare-feed.ts).
const app = Fastify({ logger: false, keepAliveTimeout: 72_000 });
app.get('/api/feed', async () => state());
app.put('/api/feed', async (request, reply) => {
  try {
    update(request.body);
    return state();
  } catch (error) {
    return reply.code(400).send({ message: (error as Error).message });
  }
});
app.get<{ Querystring: { since?: string; timeout?: string } }>('/api/long-poll', (request, reply) => {
  const since = Number(request.query.since ?? feed.head);
  const timeout = Number(request.query.timeout ?? 30_000);
  reply.headers(HEADERS);
  const entries = feed.after(since);
  if (entries.length > 0) return reply.send(body(entries));
  waiting.push(reply);
  const timer = setTimeout(() => {
    if (!reply.sent) reply.send(body([]));
  }, timeout);
  reply.raw.once('close', () => clearTimeout(timer));
  return reply;
});
feed.subscribe((entry) => {
  const answer = body([entry]);
  const held = waiting;
  waiting = [];
  for (const reply of held) if (!reply.sent && !reply.raw.destroyed) reply.send(answer);
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
console.log(`Bare Fastify long poll listening on http://127.0.0.1:${port} (epoch ${feed.epoch})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void app.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  });
}
