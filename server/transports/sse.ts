/**
 * Server-Sent Events: `GET /api/sse`. Each message is `id: <epoch>:<seq>` + `data: <message JSON>`;
 * a reset is `event: reset`; a `:` comment every `sseHeartbeatMs` keeps proxies from timing out.
 * EventSource's own `Last-Event-ID` overrides the query, so its reconnects resume by themselves.
 *
 * Once the stream is accepted the answer is always 200: EventSource gives up for good on any
 * other status, so overload is said in-band (`event: overload` + `retry:`) and the stream ends.
 */
import type { ServerResponse } from 'node:http';
import { sseIdLine } from '../../contract/floor.js';
import { type ResetNotice, ROUTES } from '../../contract/index.js';
import type { FeedEntry } from '../feed/feed.js';
import { attributionOf, countDelivered } from '../lab.js';
import { parseClient, parseCursor, type RawQuery } from '../query.js';
import { defineTransport } from './transport.js';

/** How long an overloaded client should wait before trying again. */
const OVERLOAD_RETRY_MS = 10_000;

function writeHead(res: ServerResponse, retryMs: number): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform: compression middleware and proxies must not buffer the stream.
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${retryMs}\n\n`);
}

export function sseEvent(entry: FeedEntry, epoch: string): string {
  // The message JSON has no raw CR/LF (JSON escapes them), so one data: line always suffices.
  return `${sseIdLine(epoch, entry.seq)}data: ${entry.text}\n\n`;
}

export function sseReset(notice: ResetNotice): string {
  return `event: reset\ndata: ${JSON.stringify(notice)}\n\n`;
}

export default defineTransport('sse', async (app, lab) => {
  const { feed, ledger, streams, options } = lab;

  app.get(ROUTES.sse, { config: { transport: 'sse' } }, (request, reply) => {
    const query = request.query as RawQuery;
    parseClient(query);
    // Malformed input is refused before the stream starts (a 400 is right: nothing to resume).
    const lastEventId = request.headers['last-event-id'];
    const cursor = parseCursor(query, typeof lastEventId === 'string' ? lastEventId : undefined);
    const who = attributionOf(request);
    const res = reply.raw;
    reply.hijack();

    if (lab.closing || streams.size >= options.maxStreams) {
      writeHead(res, OVERLOAD_RETRY_MS);
      res.end(
        `event: overload\ndata: ${JSON.stringify({ reason: lab.closing ? 'restart' : 'too many connections' })}\n\n`,
      );
      return;
    }

    writeHead(res, options.sseRetryMs);
    const send = (text: string): void => {
      res.write(text);
      // A consumer that does not read is cut before its buffer grows without bound;
      // its EventSource reconnects with Last-Event-ID and resumes.
      if (res.writableLength > options.slowConsumerBytes) res.destroy();
    };
    const deliver = (entries: readonly FeedEntry[]): void => {
      for (const entry of entries) send(sseEvent(entry, feed.epoch));
      countDelivered(ledger, who, entries);
    };

    const resolution = feed.resolve(cursor);
    if (resolution.kind === 'future') {
      ledger.add(who, 'resets', 1);
      send(sseReset({ reason: 'future', epoch: feed.epoch, from: feed.head + 1 }));
    } else {
      if (resolution.reset) {
        ledger.add(who, 'resets', 1);
        send(sseReset(resolution.reset));
      }
      deliver(resolution.entries);
    }
    // Subscribe in the same turn as the backlog was read: no publish can fall between the two.
    const unsubscribe = feed.subscribe((entry) => deliver([entry]));
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), options.sseHeartbeatMs);
    const release = streams.add({ who, close: () => res.end() });
    res.once('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
      release();
    });
  });
});
