/**
 * The capacity phase's middle reference: a bare Fastify app (no lab: no wire accounting, no
 * feed, no cursor), in its own process, answering `/api/poll` with the lab's own body
 * (BASELINE_BODY). Between it and bare node:http is what Fastify costs; between the lab and it,
 * what the lab's own per-request work costs.
 */
import Fastify from 'fastify';
import { baselineHeaders } from './baseline-head.js';

const body = process.env.BASELINE_BODY ?? '{}';
// The same headers as the lab's answer (baseline-head.ts); Fastify sends names in lower case,
// which changes no byte count.
const headers = Object.fromEntries(baselineHeaders());
const app = Fastify({ logger: false });
app.get('/api/poll', async (_request, reply) => {
  reply.headers(headers);
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
