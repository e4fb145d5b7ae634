/**
 * The state every part of the server shares, built once per app: the options, the feed and its
 * ticker, the accounting, and whether shutdown has begun. Each plugin (feed, accounting, each
 * transport) is handed it as its `lab` option.
 */
import { Accounting } from './accounting/accounting.js';
import type { LabOptions } from './config.js';
import { Feed } from './feed/feed.js';
import { Ticker } from './feed/ticker.js';

export interface Lab {
  options: LabOptions;
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
  return { options, feed, ticker: new Ticker(feed, options), accounting: new Accounting(), closing: false };
}

declare module 'fastify' {
  interface FastifyInstance {
    lab: Lab;
  }
}
