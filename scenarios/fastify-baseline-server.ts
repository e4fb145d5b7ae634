/**
 * The capacity phase's middle reference: a bare Fastify app (no lab: no wire accounting, no
 * feed, no cursor), in its own process, answering `/api/poll` with the lab's own body
 * (BASELINE_BODY). Between it and bare node:http is what Fastify costs; between the lab and it,
 * what the lab's own per-request work costs.
 */
import Fastify from 'fastify';

const body = process.env.BASELINE_BODY ?? '{}';
const app = Fastify({ logger: false });
app.get('/api/poll', async (_request, reply) => {
  reply.type('application/json; charset=utf-8').header('cache-control', 'no-store');
  return body;
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
console.log(`Bare Fastify listening on http://127.0.0.1:${port} (epoch none)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
