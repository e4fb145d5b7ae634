/**
 * Server-Sent Events: `GET /api/sse`. Each message is `id: <epoch>:<seq>` + `data: <message JSON>`;
 * a reset is `event: reset`; a `:` comment every `sseHeartbeatMs` keeps proxies from timing out.
 * EventSource's own `Last-Event-ID` overrides the query, so its reconnects resume by themselves.
 *
 * Once the stream is accepted the answer is always 200: EventSource gives up for good on any
 * other status, so overload is said in-band (`event: overload` + `retry:`) and the stream ends.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { sseIdLine } from '../../contract/floor.js';
import { type ResetNotice, ROUTES } from '../../contract/index.js';
import type { FeedEntry, Resolution } from '../feed/feed.js';
import { resolveCursor } from '../feed/resolve.js';
import { cursorOf, FEED_QUERY } from '../query.js';
import { catchUp, catchUpHighWater } from './catch-up.js';
import { corkForThisTick, FanOut, hotPath } from './fan-out.js';
import { isGone } from './gone.js';
import { defineTransport } from './transport.js';

/**
 * The wait an overload answer advises: `retryMs` ± 50 %, so the clients turned away together do
 * not all come back in the same instant (EventSource has no jitter of its own).
 */
export function overloadRetryMs(retryMs: number, random: () => number = Math.random): number {
  return Math.round(retryMs * (0.5 + random()));
}

function writeHead(res: ServerResponse, instance: string | undefined): void {
  res.writeHead(200, {
    // The stream is hijacked: Fastify's hooks set no header on it, so the instance is named here.
    ...(instance === undefined ? {} : { 'x-lab-instance': instance }),
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform: compression middleware and proxies must not buffer the stream.
    'cache-control': 'no-cache, no-transform',
    // HTTP/2 forbids connection-specific headers (RFC 9113 §8.2.2): there a stream is the connection.
    ...(res.req.httpVersionMajor >= 2 ? {} : { connection: 'keep-alive' }),
    'x-accel-buffering': 'no',
  });
}

/** A live event as every stream writes it: bare (HTTP/2, HTTP/1.0) and as one HTTP/1.1 chunk. */
interface LiveEvent {
  event: Buffer;
  chunk: Buffer;
}
const CRLF = Buffer.from('\r\n');

/**
 * The socket of an HTTP/1.1 response in chunked encoding that owns it, with nothing of Node's
 * waiting in front (else null: HTTP/2, HTTP/1.0 without chunks, a response queued behind a pipelined
 * one). Writing a prebuilt chunk there puts on the wire exactly the bytes `res.write` would —
 * `<length in hex>\r\n<event>\r\n` — without Node framing it again for every stream.
 */
function chunkedSocketOf(res: ServerResponse): Socket | null {
  const internals = res as ServerResponse & { chunkedEncoding?: boolean; outputData?: unknown[] };
  const socket = res.socket as (Socket & { _httpMessage?: unknown }) | null;
  if (internals.chunkedEncoding !== true || socket === null || socket._httpMessage !== res) return null;
  return Array.isArray(internals.outputData) && internals.outputData.length === 0 ? socket : null;
}

export function sseEvent(entry: FeedEntry, epoch: string): string {
  // The message JSON has no raw CR/LF (JSON escapes them), so one data: line always suffices.
  return `${sseIdLine(epoch, entry.seq)}data: ${entry.text}\n\n`;
}

/**
 * A reset carries the id of the position it leaves the client at, so EventSource's own
 * Last-Event-ID moves past it and a reconnect does not earn the same reset twice.
 */
export function sseReset(notice: ResetNotice): string {
  return `${sseIdLine(notice.epoch, notice.from - 1)}event: reset\ndata: ${JSON.stringify(notice)}\n\n`;
}

/**
 * The stream's first event: `retry:` advice, then a `hello` that tells the client where it
 * stands (SSE has no handshake of its own). Its `id:` is the position the stream starts from, so
 * even a stream that drops before its first message reconnects with a cursor, not live-only.
 */
export function sseHello(
  retryMs: number,
  epoch: string,
  position: number,
  head: number,
  oldest: number,
  instance?: string,
): string {
  // `instance` only behind a broker (many instances): which one serves this stream.
  const hello = instance === undefined ? { epoch, head, oldest } : { epoch, head, oldest, instance };
  return `retry: ${retryMs}\n${sseIdLine(epoch, position)}event: hello\ndata: ${JSON.stringify(hello)}\n\n`;
}

export default defineTransport('sse', async (app, { lab }) => {
  const { feed, accounting, options } = lab;
  // Each live message's event is built once, as bytes, for every stream — and once more with its
  // HTTP/1.1 chunk framing around it, which every chunked stream then writes as is (liveEvent).
  const fanOut = new FanOut(feed, (entry): LiveEvent => {
    hotPath.sseEventsBuilt += 1;
    const event = Buffer.from(sseEvent(entry, feed.epoch));
    return { event, chunk: Buffer.concat([Buffer.from(`${event.length.toString(16)}\r\n`), event, CRLF]) };
  });

  app.get(ROUTES.sse, { config: { transport: 'sse', rawHead: true }, ...FEED_QUERY }, (request, reply) => {
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
        writeHead(res, instance);
        const reason = lab.closing ? 'restart' : 'too many connections';
        const retryMs = overloadRetryMs(options.sseOverloadRetryMs);
        // EventSource hides `retry:` from scripts, so the wait is in the data too.
        res.end(`retry: ${retryMs}\nevent: overload\ndata: ${JSON.stringify({ reason, retryMs })}\n\n`);
        return;
      }

      writeHead(res, instance);
      const send = (text: string | Buffer): void => {
        res.write(text);
        // A live consumer that does not read is cut before its buffer grows without bound;
        // its EventSource reconnects with Last-Event-ID and resumes (paced, catch-up.ts).
        if (res.writableLength > options.slowConsumerBytes) res.destroy();
      };
      // After the hello, a chunked HTTP/1.1 stream gets each live event as one prebuilt chunk
      // straight on its socket, corked per tick (a burst leaves in one write), the slow-consumer
      // check once it is flushed; HTTP/2 and HTTP/1.0 streams go through res.write.
      const checkSlow = (): void => {
        if (res.writableLength > options.slowConsumerBytes) res.destroy();
      };
      const live = (prepared: LiveEvent): void => {
        if (socket === null) send(prepared.event);
        else if (!socket.destroyed) {
          corkForThisTick(socket, checkSlow);
          socket.write(prepared.chunk);
        }
      };
      const reset = (notice: ResetNotice): void => {
        accounting.reset(who);
        send(sseReset(notice));
      };

      // Where this stream starts: the cursor when it is honoured, the head for live-only; a reset's own id says the rest.
      const position = resolution.kind === 'ok' && !resolution.reset && cursor ? cursor.seq : feed.head;
      res.write(sseHello(options.sseRetryMs, feed.epoch, position, feed.head, feed.oldest, instance));
      const socket = chunkedSocketOf(res);
      let unsubscribe = () => {};
      let closed = false;
      const goLive = (): void => {
        // Subscribed in the same turn as the catch-up's last read: no publish can fall between the two.
        unsubscribe = fanOut.add(
          (event, entry) => {
            live(event);
            accounting.deliveredOne(who, entry);
          },
          // Behind a broker the feed can jump (a new epoch, a hole): the stream says so, never a silent gap.
          reset,
        );
      };
      if (resolution.kind === 'future') {
        reset({ reason: 'future', epoch: feed.epoch, from: feed.head + 1 });
        goLive();
      } else {
        if (resolution.reset) reset(resolution.reset);
        // The backlog, paced by the socket and not held to the live bound (catch-up.ts).
        const from = resolution.reset ? resolution.reset.from - 1 : cursor ? cursor.seq : feed.head;
        catchUp(
          feed,
          from,
          {
            write: (entry, written) => {
              res.write(sseEvent(entry, feed.epoch), () => written());
              accounting.deliveredOne(who, entry);
            },
            queuedBytes: () => res.writableLength,
            reset,
            gone: () => closed || isGone(res),
            live: goLive,
            stalled: () => res.destroy(),
          },
          { highWaterBytes: catchUpHighWater(options.slowConsumerBytes), stallMs: options.catchUpStallMs },
        );
      }
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), options.sseHeartbeatMs);
      const release = accounting.openStream({ who, close: () => res.end() });
      const done = () => {
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        release();
      };
      res.once('close', done);
      if (isGone(res)) done();
    }
  });
});
