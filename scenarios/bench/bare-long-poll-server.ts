/**
 * Bare node:http long poll: the benchmark's long-poll baseline. `GET /api/long-poll?since=N`
 * answers at once with what is newer than N, else holds the request until the next publish,
 * which answers every held request with one body built once; `timeout` ms answers it empty.
 * The answer has the lab's shape (`{"epoch","head","messages":[…]}`), from the lab's feed and
 * nothing else (bare-feed.ts): no Fastify, no accounting, no cursor checks. Its head is the lab's
 * (BASELINE_HEADERS, as for the polls), so both put the same header bytes on the wire.
 */
import http from 'node:http';
import type { FeedEntry } from '../../server/feed/feed.js';
import { baselineHeaders } from '../baseline-head.js';
import { bareFeed, listen } from './bare-feed.js';

const { feed, control } = bareFeed();
// The lab's own answer headers when the bench passes them (scenarios/baseline-head.ts), else the
// content type and cache header alone: like with like.
const HEADERS = Object.fromEntries(baselineHeaders());
let waiting: http.ServerResponse[] = [];

const body = (entries: readonly FeedEntry[]): string =>
  `{"epoch":"${feed.epoch}","head":${feed.head},"messages":[${entries.map((e) => e.text).join(',')}]}`;

/** A 200 with `text`, its length in the head as the lab's and Fastify's answers have it (not chunked). */
function send(response: http.ServerResponse, text: string): void {
  response.writeHead(200, { ...HEADERS, 'content-length': Buffer.byteLength(text) }).end(text);
}

const server = http.createServer((request, response) => {
  if (control(request, response)) return;
  if (!request.url?.startsWith('/api/long-poll')) {
    response.writeHead(404).end();
    return;
  }
  const query = new URL(request.url, 'http://x').searchParams;
  const since = Number(query.get('since') ?? feed.head);
  const timeout = Number(query.get('timeout') ?? 30_000);
  const entries = feed.after(since);
  if (entries.length > 0) {
    send(response, body(entries));
    return;
  }
  waiting.push(response);
  const timer = setTimeout(() => {
    if (!response.writableEnded) send(response, body([]));
  }, timeout);
  response.once('close', () => clearTimeout(timer));
});
feed.subscribe((entry) => {
  const answer = body([entry]);
  const held = waiting;
  waiting = [];
  for (const response of held) if (!response.writableEnded && !response.destroyed) send(response, answer);
});
listen(server, 'Bare long poll', feed.epoch);
