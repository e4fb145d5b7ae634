/**
 * Server push, as a demonstration that it is not a feed (docs/http2.md, "Server push").
 *
 * `GET /api/push-demo` on an HTTP/2 connection pushes one small JSON resource,
 * `/api/push-demo/pushed`, with a PUSH_PROMISE (RFC 9113 §8.4) — when the client allows it. A
 * client that sent SETTINGS_ENABLE_PUSH = 0 (Chromium since version 106, undici) cannot receive a
 * promise: Node's `stream.pushAllowed` is false and nothing is pushed. Even where a push arrives,
 * it only fills the client's cache for a later request; no JavaScript API (fetch, EventSource)
 * ever sees it as data. The counters below make both sides measurable:
 *  - `promised`: PUSH_PROMISEs sent; `refused`: requests whose client did not allow push;
 *  - `networkFetches`: requests that reached the server for the pushed path itself, i.e. the
 *    page fetched it over the network although (or because no) push had been offered.
 * On HTTP/1.1 there is no push at all; the route says so.
 */
import type { ServerHttp2Stream } from 'node:http2';
import type { FastifyInstance } from 'fastify';
import type { Lab } from '../lab.js';

export const PUSHED_PATH = '/api/push-demo/pushed';

export interface PushCounters {
  requests: number;
  promised: number;
  refused: number;
  networkFetches: number;
}

/** One set of counters per lab, shared by its HTTP/1.1 and HTTP/2 instances. */
const counters = new WeakMap<Lab, PushCounters>();

export function pushCounters(lab: Lab): PushCounters {
  let c = counters.get(lab);
  if (!c) {
    c = { requests: 0, promised: 0, refused: 0, networkFetches: 0 };
    counters.set(lab, c);
  }
  return c;
}

function pushedBody(lab: Lab, via: 'push' | 'network'): string {
  return JSON.stringify({ via, epoch: lab.feed.epoch, head: lab.feed.head, ts: Date.now() });
}

export function registerPushDemo(app: FastifyInstance, lab: Lab, protocol: 'http/1.1' | 'h2'): void {
  const c = pushCounters(lab);
  app.get('/api/push-demo', async (request, reply) => {
    c.requests += 1;
    reply.header('cache-control', 'no-store');
    const stream = (request.raw as unknown as { stream?: ServerHttp2Stream }).stream;
    if (protocol !== 'h2' || !stream) return { protocol: 'http/1.1', pushAllowed: false, promised: 0 };
    if (!stream.pushAllowed) {
      c.refused += 1;
      return { protocol: 'h2', pushAllowed: false, promised: 0 };
    }
    const promised = await new Promise<number>((resolve) => {
      stream.pushStream({ ':path': PUSHED_PATH }, (error, pushed) => {
        if (error) return resolve(0);
        pushed.on('error', () => {});
        pushed.respond({ ':status': 200, 'content-type': 'application/json; charset=utf-8' });
        pushed.end(pushedBody(lab, 'push'));
        c.promised += 1;
        resolve(1);
      });
    });
    return { protocol: 'h2', pushAllowed: true, promised };
  });
  app.get(PUSHED_PATH, async (_request, reply) => {
    c.networkFetches += 1;
    reply.header('cache-control', 'no-store').type('application/json; charset=utf-8');
    return pushedBody(lab, 'network');
  });
  app.get('/api/push-demo/stats', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { ...c };
  });
}
