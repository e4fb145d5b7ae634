/**
 * Bare `ws`: the benchmark's WebSocket baseline. The textbook broadcast — every published message
 * sent with `client.send(text)` to every open client — on `GET /api/ws`, with the lab's feed and
 * nothing else (bare-feed.ts). No hello, no cursor, no accounting, no heartbeat.
 */
import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { bareFeed, listen } from './bare-feed.js';

const { feed, control } = bareFeed();
const server = http.createServer((request, response) => {
  if (control(request, response)) return;
  response.writeHead(404).end();
});
const wss = new WebSocketServer({ server, path: '/api/ws', maxPayload: 64 * 1024 });
feed.subscribe((entry) => {
  for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(entry.text);
});
listen(server, 'Bare ws', feed.epoch);
