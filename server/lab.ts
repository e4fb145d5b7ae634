/**
 * The state every part of the server shares, built once per app: the options, the feed and its
 * ticker, the accounting, and whether shutdown has begun. Each plugin (feed, accounting, each
 * transport) is handed it as its `lab` option.
 */
import { Accounting } from './accounting/accounting.js';
import type { LabOptions } from './config.js';
import { type FeedBackend, MemoryBackend } from './feed/backend.js';
import { Feed, newEpoch } from './feed/feed.js';
import { RedisBackend } from './feed/redis-backend.js';
import { Ticker } from './feed/ticker.js';

export interface Lab {
  options: LabOptions;
  /** This instance's name (many may serve one feed behind a balancer). */
  instance: string;
  /** Where publishes go and how this instance's `feed` is filled (server/feed/backend.ts); `start` it before use. */
  backend: FeedBackend;
  feed: Feed;
  ticker: Ticker;
  accounting: Accounting;
  /** True once shutdown began: new long-lived streams are refused. */
  closing: boolean;
}

/** The options every lab plugin is registered with (`app.register(plugin, { lab })`). */
export interface LabPluginOptions {
  lab: Lab;
}

export function createLab(options: LabOptions): Lab {
  const feed = new Feed(options.retention);
  const instance = options.instance ?? `${process.pid}-${newEpoch().slice(0, 4)}`;
  const backend: FeedBackend =
    options.redisUrl === null
      ? new MemoryBackend()
      : new RedisBackend({ url: options.redisUrl, instance, retention: options.retention });
  const ticker = new Ticker(feed, options);
  return { options, instance, backend, feed, ticker, accounting: new Accounting(), closing: false };
}

declare module 'fastify' {
  interface FastifyInstance {
    lab: Lab;
  }
}
