/**
 * Server-Sent Events: `GET /api/sse`. Each message is `id: <epoch>:<seq>` + `data: <message JSON>`;
 * a reset is `event: reset`; a `:` comment every `sseHeartbeatMs` keeps proxies from timing out.
 * EventSource's own `Last-Event-ID` overrides the query, so its reconnects resume by themselves.
 *
 * Once the stream is accepted the answer is always 200: EventSource gives up for good on any
 * other status, so overload is said in-band (`event: overload` + `retry:`) and the stream ends.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { ROUTES } from '../../contract/index.js';
import type { Resolution } from '../feed/feed.js';
import { resolveCursor } from '../feed/resolve.js';
import { cursorOf, FEED_QUERY } from '../query.js';
import { ownHead } from '../security/headers.js';
import { isGone } from './gone.js';
import { Heartbeat } from './heartbeat.js';
import { sseHello, sseWire } from './sse-event.js';
import { beatSse, type SseShared, SseStream } from './sse-stream.js';
import { TickFanOut } from './tick-batch.js';
import { defineTransport } from './transport.js';

/**
 * The wait an overload answer advises: `retryMs` ± 50 %, so the clients turned away together do
 * not all come back in the same instant (EventSource has no jitter of its own).
 */
export function overloadRetryMs(retryMs: number, random: () => number = Math.random): number {
  return Math.round(retryMs * (0.5 + random()));
}

/**
 * The head, security headers included, in one `writeHead` (`rawHead: 'own'`, server/security/headers.ts):
 * the response then keeps no header table for as long as the stream lives.
 */
function writeHead(request: FastifyRequest, res: ServerResponse, instance: string | undefined): void {
  res.writeHead(
    200,
    ownHead(request, res, {
      // The stream is hijacked: Fastify's hooks set no header on it, so the instance is named here.
      ...(instance === undefined ? {} : { 'x-lab-instance': instance }),
      'content-type': 'text/event-stream; charset=utf-8',
      // no-transform: compression middleware and proxies must not buffer the stream.
      'cache-control': 'no-cache, no-transform',
      // HTTP/2 forbids connection-specific headers (RFC 9113 §8.2.2): there a stream is the connection.
      ...(res.req.httpVersionMajor >= 2 ? {} : { connection: 'keep-alive' }),
      'x-accel-buffering': 'no',
    }),
  );
}

/**
 * Fastify listens for the end of a response (`finish`, `error`) to run the onResponse hooks and log
 * it, with a closure that keeps its Reply and Request (~390 B) for as long as the response is open:
 * hours, for an idle stream (the memory rows of `npm run bench`). With the logger off the only
 * onResponse hook is the accounting settle (server/accounting/plugin.ts), which an HTTP/1.1 stream
 * does not need: its socket is settled when it is destroyed, by the next request's begin, and by
 * every read of the counters (the fast lane's answers are settled the same way, docs/accounting.md).
 * Found by the name Fastify gives it (lib/reply.js); test/sse-head.test.ts fails if it changes.
 */
function releaseFastifyEnd(res: ServerResponse): void {
  for (const event of ['finish', 'error'] as const) {
    for (const listener of res.listeners(event)) {
      if (listener.name === 'onResFinished') res.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}

export default defineTransport('sse', async (app, { lab }) => {
  const { feed, accounting, options } = lab;
  const shared: SseShared = {
    lab,
    // One feed subscription for every stream: a tick's events built once, one write per stream (tick-batch.ts).
    fanOut: new TickFanOut(feed, sseWire(feed)),
    heartbeat: new Heartbeat(options.sseHeartbeatMs, beatSse),
  };

  app.get(ROUTES.sse, { config: { transport: 'sse', rawHead: 'own' }, ...FEED_QUERY }, (request, reply) => {
    // Malformed input is refused before the stream starts (a 400 is right: nothing to resume).
    const lastEventId = request.headers['last-event-id'];
    const cursor = cursorOf(request.query, typeof lastEventId === 'string' ? lastEventId : undefined);
    const who = accounting.who(request);
    // Memory: resolved in this turn. Behind a broker a cursor from another instance may wait for this replica.
    const resolved = resolveCursor(lab, cursor);
    if (resolved instanceof Promise) return resolved.then((resolution) => stream(resolution, true));
    stream(resolved, false);

    function stream(resolution: Resolution, late: boolean): void {
      const instance = lab.backend.kind === 'memory' ? undefined : lab.instance;
      const res = reply.raw;
      reply.hijack();
      // The client may have left while a broker-backed cursor was settling: nothing to stream to.
      if (late && isGone(res)) return;

      if (lab.closing || accounting.openStreams >= options.maxStreams) {
        writeHead(request, res, instance);
        const reason = lab.closing ? 'restart' : 'too many connections';
        const retryMs = overloadRetryMs(options.sseOverloadRetryMs);
        // EventSource hides `retry:` from scripts, so the wait is in the data too.
        res.end(`retry: ${retryMs}\nevent: overload\ndata: ${JSON.stringify({ reason, retryMs })}\n\n`);
        return;
      }

      writeHead(request, res, instance);
      // HTTP/1.1: the head on its own. Node builds it as a string of ~35 concatenated pieces and keeps it on
      // the response (~1 KB for as long as the stream lives); written alone it is flattened where it lies,
      // written in front of the hello it would be copied and kept unflattened. (HTTP/2 sends a HEADERS frame.)
      if (res.req.httpVersionMajor < 2) {
        res.flushHeaders();
        if (!options.logger) releaseFastifyEnd(res);
      }
      // Where this stream starts: the cursor when it is honoured, the head for live-only; a reset's own id says the rest.
      const position = resolution.kind === 'ok' && !resolution.reset && cursor ? cursor.seq : feed.head;
      res.write(sseHello(options.sseRetryMs, feed.epoch, position, feed.head, feed.oldest, instance));
      new SseStream(res, who, shared).start(resolution, cursor);
    }
  });
});
