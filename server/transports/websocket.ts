/**
 * WebSocket: `GET /api/ws`. A `hello` frame first, then a `reset` if the cursor was not honoured,
 * then the backlog and live messages, one text frame each holding the message JSON. Control frames
 * are JSON with a `type`; the client may send `publish` (into the feed) and `echo` (sent back).
 *
 * Subprotocols (contract: WS_SUBPROTOCOLS): the server picks by its own preference among those
 * offered (`handleProtocols` in server/app.ts) and answers none it does not speak; under
 * `lab.v1.msgpack` every frame, both ways, is binary MessagePack of the same object (ws-codec.ts).
 * permessage-deflate (RFC 7692) is accepted only on `?compress=1`: otherwise the client's offer is
 * kept out of ws's sight, so it is declined, and the inspector still shows the offer as sent.
 *
 * Bad input never costs the connection unless it must: bad JSON or an unknown type gets an `error`
 * frame; a bad cursor closes 4400, a flood 4429, a frame over 64 KiB 1009 (ws does that, after
 * inflation: a small compressed frame that inflates past the limit is a 1009 too), a
 * consumer that does not read 4001 (it resumes by cursor), a shutdown 1012.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import {
  CLOSE_CODES,
  ERROR_CODES,
  type Handshake,
  present,
  type ResetNotice,
  ROUTES,
  WS_COMPRESS_PARAM,
  type WsServerControl,
} from '../../contract/index.js';
import { BadQueryError, NoHandshakeError, TooManyConnectionsError } from '../errors.js';
import type { FeedEntry, Resolution } from '../feed/feed.js';
import { resolveCursor } from '../feed/resolve.js';
import type { Lab } from '../lab.js';
import { checkOrigin } from '../origin.js';
import { CLIENT_QUERY, parseClient, parseCursor, type RawQuery } from '../query.js';
import { catchUp, catchUpHighWater } from './catch-up.js';
import { corkForThisTick, FanOut } from './fan-out.js';
import { SLOW_CONSUMER_REASON } from './socket-io-backlog.js';
import { defineTransport } from './transport.js';
import { codecFor } from './ws-codec.js';
import { framesOf, rawSocketFor, type WsFrames } from './ws-frame.js';

/** `compress=1` turns permessage-deflate negotiation on; absent or `0`, off. Anything else is a 400. */
function wantsCompression(query: RawQuery): boolean {
  const value = query[WS_COMPRESS_PARAM];
  if (value === undefined || value === '0') return false;
  if (value === '1') return true;
  throw new BadQueryError(`${WS_COMPRESS_PARAM} must be 0 or 1, got ${JSON.stringify(value)}`);
}

import { checkUpgradeHeaders, guardFragments } from './ws-guard.js';

/** A close frame waits behind queued data; a peer that never reads it is dropped after this. */
const CLOSE_GRACE_MS = 5_000;

/** Token bucket for incoming frames: `rate` per second, bursts up to two seconds' worth. */
export function frameBudget(rate: number): () => boolean {
  let tokens = rate * 2;
  let last = performance.now();
  return () => {
    const now = performance.now();
    tokens = Math.min(rate * 2, tokens + ((now - last) / 1000) * rate);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/** The last opening handshake of each client id is kept, as it was on the wire (for the dashboard's inspector). */ const MAX_HANDSHAKES = 256;

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; ; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name === undefined || value === undefined) return out;
    out.push([name, value]);
  }
}

const handshakesByLab = new WeakMap<Lab, Map<string, Handshake>>();
function handshakesOf(lab: Lab): Map<string, Handshake> {
  let map = handshakesByLab.get(lab);
  if (!map) {
    map = new Map();
    handshakesByLab.set(lab, map);
  }
  return map;
}

export default defineTransport('websocket', async (app, { lab }) => {
  const { feed, accounting, options } = lab;
  // One feed subscription for every socket: each message framed once per codec (ws-frame.ts).
  const fanOut = new FanOut(feed, framesOf);

  // ws tells us the 101 response lines just before it writes them: keep both sides, per client.
  // One map per lab, not per app: the page may ask over h2 about a WebSocket upgraded over HTTP/1.1.
  const handshakes = handshakesOf(lab);
  const instance = lab.backend.kind === 'memory' ? undefined : lab.instance;
  app.websocketServer.on('headers', (lines: string[], request: IncomingMessage) => {
    // Behind a broker, the 101 names the instance too (Fastify's hooks do not reach it).
    if (instance !== undefined) lines.push(`X-Lab-Instance: ${instance}`);
    const client = new URL(request.url ?? '/', 'http://x').searchParams.get('client');
    if (client === null) return;
    const oldest = handshakes.keys().next().value;
    if (handshakes.size >= MAX_HANDSHAKES && oldest !== undefined) handshakes.delete(oldest);
    handshakes.set(client, {
      at: Date.now(),
      request: {
        line: `${request.method} ${request.url} HTTP/${request.httpVersion}`,
        headers: pairs(request.rawHeaders),
      },
      response: {
        line: present(lines[0], "ws's 'headers' event: the status line"),
        headers: lines.slice(1).map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon), line.slice(colon + 1).trim()] as [string, string];
        }),
      },
    });
  });
  app.get('/api/handshake', CLIENT_QUERY, async (request) => {
    const client = request.query.client ?? null;
    const handshake = client === null ? undefined : handshakes.get(client);
    if (!handshake) throw new NoHandshakeError(String(client));
    return handshake;
  });

  app.get(
    ROUTES.websocket,
    {
      websocket: true,
      config: { transport: 'websocket' },
      // Refused before the upgrade, with a plain HTTP status: 403 for a foreign page, 503 when full.
      preValidation: async (request, reply) => {
        checkUpgradeHeaders(request, reply);
        checkOrigin(request, options.allowedOrigins);
        if (lab.closing || accounting.openStreams >= options.maxStreams)
          throw new TooManyConnectionsError(options.maxStreams);
        // ws negotiates permessage-deflate from this header alone (server/app.ts enables it):
        // without compress=1 it must not see the offer. rawHeaders keep it for the inspector.
        if (!wantsCompression(request.query as RawQuery)) delete request.raw.headers['sec-websocket-extensions'];
      },
    },
    (socket: WebSocket, request) => {
      const who = accounting.who(request);
      let closing = false;
      const codec = codecFor(socket.protocol);
      const control = (frame: WsServerControl): void => socket.send(codec.control(frame));
      const close = (code: number, reason: string): void => {
        if (closing) return;
        closing = true;
        socket.close(code, reason);
        setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
      };
      // A refused request: the stable code in an error frame a script can read, then 4400 with
      // "<code>: <message>" as the reason (cut to the 123 bytes a close frame allows).
      const refuse = (code: string, message: string): void => {
        control({ type: 'error', code, message });
        close(CLOSE_CODES.badRequest, Buffer.from(`${code}: ${message}`).subarray(0, 123).toString());
      };
      // Without an extension the message's prebuilt frame (ws-frame.ts) goes straight to the TCP
      // socket; with permessage-deflate ws frames and compresses it for this socket alone.
      const raw = rawSocketFor(socket);
      const checkSlow = (): void => {
        if (closing || socket.bufferedAmount <= options.slowConsumerBytes) return;
        close(CLOSE_CODES.slowConsumer, SLOW_CONSUMER_REASON);
      };
      /**
       * A live message, corked until the tick ends so a burst leaves in one write; the slow-consumer
       * check then runs once the burst is handed to the kernel (fan-out.ts).
       */
      const send = (frames: WsFrames): void => {
        if (raw === null) socket.send(codec.entry(frames.entry).payload);
        else if (socket.readyState === socket.OPEN) {
          corkForThisTick(raw, checkSlow);
          raw.write(frames.of(codec.name));
          return;
        }
        checkSlow();
      };
      /**
       * A resuming client's backlog, paced by the socket and not held to the live bound (catch-up.ts):
       * written while less than the high-water mark is queued, the rest once that has left.
       */
      const sendCatchUp = (entry: FeedEntry, written: () => void): void => {
        if (raw === null) socket.send(codec.entry(entry).payload, () => written());
        else raw.write(framesOf(entry).of(codec.name), () => written());
        accounting.deliveredOne(who, entry, codec.entryBytes(entry));
      };
      const deliverLive = (frames: WsFrames, entry: FeedEntry): void => {
        if (closing) return;
        send(frames);
        accounting.deliveredOne(who, entry, codec.entryBytes(entry));
      };

      // Attach the listener before anything else: frames that arrive first are lost otherwise.
      const allowFrame = frameBudget(options.wsFramesPerSecond);
      socket.on('message', (raw, isBinary) => {
        if (closing) return;
        if (!allowFrame()) return close(CLOSE_CODES.rate, `more than ${options.wsFramesPerSecond} frames/s`);
        let frame: unknown;
        try {
          frame = codec.decode(raw as Buffer, isBinary);
        } catch (error) {
          return control({ type: 'error', code: ERROR_CODES.badFrame, message: (error as Error).message });
        }
        const type = (frame as { type?: unknown } | null)?.type;
        if (type === 'echo') return control(frame as WsServerControl);
        if (type === 'publish' && typeof frame === 'object' && frame !== null && 'data' in frame) {
          // A WebSocket cannot carry the instructor's Authorization header: in a classroom, publishing
          // is POST /api/publish with the instructor's token (server/classroom/guard.ts).
          if (lab.classroom !== null) {
            return control({
              type: 'error',
              code: ERROR_CODES.instructorOnly,
              message: 'in a classroom only the instructor publishes (POST /api/publish with the instructor token)',
            });
          }
          const published = lab.backend.publish(frame.data);
          // Behind a broker a publish can fail (Redis away): the client hears it, the socket stays.
          if (published instanceof Promise) {
            published.catch((error: Error & { code?: string }) =>
              control({ type: 'error', code: error.code ?? ERROR_CODES.feedUnavailable, message: error.message }),
            );
          }
          return;
        }
        control({
          type: 'error',
          code: ERROR_CODES.unknownType,
          message: `unknown frame type ${JSON.stringify(type)}: send {"type":"publish","data":…} or {"type":"echo",…}`,
        });
      });

      const stopGuard = guardFragments(
        socket,
        { maxFragments: options.wsMaxFragments, timeoutMs: options.wsFragmentTimeoutMs },
        close,
      );

      // Heartbeat: ping, and terminate a peer that did not answer the previous ping.
      let alive = true;
      socket.on('pong', () => {
        alive = true;
      });
      const heartbeat = setInterval(() => {
        if (!alive) return socket.terminate();
        alive = false;
        socket.ping();
      }, options.wsPingMs);

      const release = accounting.openStream({ who, close: () => close(CLOSE_CODES.serverRestart, 'server restart') });
      let unsubscribe = () => {};
      socket.once('close', () => {
        clearInterval(heartbeat);
        stopGuard();
        unsubscribe();
        release();
      });

      let cursor: ReturnType<typeof parseCursor>;
      try {
        const query = request.query as RawQuery;
        parseClient(query);
        cursor = parseCursor(query);
      } catch (error) {
        return refuse(ERROR_CODES.badCursor, (error as Error).message);
      }
      const resolved = resolveCursor(lab, cursor);
      if (resolved instanceof Promise) resolved.then(begin);
      else begin(resolved);

      function begin(resolution: Resolution): void {
        if (closing || socket.readyState !== socket.OPEN) return;
        const hello: WsServerControl = {
          type: 'hello',
          epoch: feed.epoch,
          head: feed.head,
          oldest: feed.oldest,
          client: who.client,
        };
        control(instance === undefined ? hello : { ...hello, instance });
        if (resolution.kind === 'future') {
          refuse(ERROR_CODES.futureCursor, `cursor ${cursor?.seq} is ahead of head ${resolution.head}`);
          return;
        }
        const reset = (notice: ResetNotice): void => {
          accounting.reset(who);
          control({ type: 'reset', ...notice });
        };
        if (resolution.reset) reset(resolution.reset);
        catchUp(
          feed,
          resolution.reset ? resolution.reset.from - 1 : cursor ? cursor.seq : feed.head,
          {
            write: sendCatchUp,
            queuedBytes: () => socket.bufferedAmount,
            reset,
            gone: () => closing || socket.readyState !== socket.OPEN,
            // Subscribed in the same turn as the catch-up's last read: no publish can fall between the two.
            live: () => {
              unsubscribe = fanOut.add(deliverLive, reset);
            },
            stalled: () => close(CLOSE_CODES.slowConsumer, SLOW_CONSUMER_REASON),
          },
          { highWaterBytes: catchUpHighWater(options.slowConsumerBytes), stallMs: options.catchUpStallMs },
        );
      }
    },
  );
});
