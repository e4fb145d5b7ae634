/**
 * Bare node:http SSE: the benchmark's SSE baseline. `GET /api/sse` answers with the lab's
 * headers and then, for every published message, `id: <seq>` + `data: <message>` — the event
 * text built once per message and written to every open stream. The lab's feed and nothing
 * else (bare-feed.ts): no hello, no cursor, no accounting, no heartbeat.
 */
import http from 'node:http';
import { bareFeed, listen } from './bare-feed.js';

const { feed, control } = bareFeed();
const streams = new Set<http.ServerResponse>();
const server = http.createServer((request, response) => {
  if (control(request, response)) return;
  if (!request.url?.startsWith('/api/sse')) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Send the headers now, as the lab does with its first event: the client knows it is connected.
  response.flushHeaders();
  streams.add(response);
  response.once('close', () => streams.delete(response));
});
feed.subscribe((entry) => {
  const event = `id: ${feed.epoch}:${entry.seq}\ndata: ${entry.text}\n\n`;
  for (const stream of streams) stream.write(event);
});
listen(server, 'Bare SSE', feed.epoch);
