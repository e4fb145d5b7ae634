/**
 * What every bare baseline of the benchmark shares: the lab's own feed and ticker (server/feed/),
 * so a bare server publishes the very same message text at the very same rate, and a tiny
 * node:http control API with the lab's shape (`GET`/`PUT /api/feed`), so the benchmark drives a
 * bare server and the lab alike. Nothing else of the lab: no Fastify, no wire accounting, no
 * cursors, no per-client ledger. What the lab costs on top of one of these is then its own work.
 */
import type http from 'node:http';
import { Feed } from '../../server/feed/feed.js';
import { Ticker, validateSettings } from '../../server/feed/ticker.js';

export interface BareFeed {
  feed: Feed;
  ticker: Ticker;
  /** What `GET /api/feed` answers. */
  state(): object;
  /** `PUT /api/feed`: applies the settings, or throws a message for a 400. */
  update(settings: unknown): void;
  /** Answers the control routes; false when the request is not one of them. */
  control(request: http.IncomingMessage, response: http.ServerResponse): boolean;
}

export function bareFeed(): BareFeed {
  const feed = new Feed(1_000);
  const ticker = new Ticker(feed, { rate: 1, payloadBytes: 128, mode: 'steady', running: false });
  const state = () => ({
    epoch: feed.epoch,
    head: feed.head,
    oldest: feed.oldest,
    retention: feed.retention,
    ...ticker.settings,
  });
  const answer = (response: http.ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(body));
  };
  return {
    feed,
    ticker,
    state,
    update: (settings) => ticker.update(validateSettings(settings)),
    control(request, response) {
      if (!request.url?.startsWith('/api/feed')) return false;
      if (request.method === 'GET') {
        answer(response, 200, state());
        return true;
      }
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        try {
          ticker.update(validateSettings(JSON.parse(body)));
          answer(response, 200, state());
        } catch (error) {
          answer(response, 400, { message: (error as Error).message });
        }
      });
      return true;
    },
  };
}

/** Listens on 127.0.0.1, port 0, prints the line `startChild` waits for, and exits on SIGTERM. */
export function listen(server: http.Server, name: string, epoch: string): void {
  server.keepAliveTimeout = 72_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    console.log(`${name} listening on http://127.0.0.1:${port} (epoch ${epoch})`);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 2_000).unref();
    });
  }
}
