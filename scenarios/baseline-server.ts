/**
 * The capacity phase's baseline: a bare `node:http` server, in its own process like the lab,
 * answering every request with the very body the lab's `/api/poll` gave (BASELINE_BODY), with
 * the same headers (baseline-head.ts). What the lab adds on top (Fastify, routing, query
 * parsing, cursor resolution, wire accounting) is then the difference in polls per second.
 */
import http from 'node:http';
import { baselineHeaders } from './baseline-head.js';

const body = Buffer.from(process.env.BASELINE_BODY ?? '{}');
// A flat [name, value, name, value…] list: writeHead sends it as given, names' case and order kept.
const head = [...baselineHeaders().flat(), 'content-length', String(body.length)];
const server = http.createServer((_request, response) => {
  response.writeHead(200, head);
  response.end(body);
});
// Match the lab's keep-alive so neither side reconnects more than the other.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`Baseline listening on http://127.0.0.1:${port} (epoch none)`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
