/**
 * The state every part of the server shares, built once per app: the options, the feed and its
 * ticker, the accounting, and whether shutdown has begun. Each plugin (feed, accounting, each
 * transport) is handed it as its `lab` option.
 */
import { Accounting } from './accounting/accounting.js';
import type { Experiments } from './classroom/experiments.js';
import type { Roster } from './classroom/roster.js';
import type { LabOptions } from './config.js';
import type { FastLane } from './fast-lane.js';
import { type FeedBackend, MemoryBackend } from './feed/backend.js';
import { Feed, newEpoch } from './feed/feed.js';
import { RedisBackend } from './feed/redis-backend.js';
import { Ticker } from './feed/ticker.js';

/** Classroom mode's state (server/classroom/); null when the lab is one student's own. */
export interface Classroom {
  roster: Roster;
  experiments: Experiments;
  instructorToken: string;
  joinUrl: string | null;
  /** Where class exports are written (results/class by default). */
  resultsDir: string;
}

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
  classroom: Classroom | null;
  /** Closed after the app itself (the HTTPS and h2c listeners of server/h2/listeners.ts). */
  closeAfter: (() => Promise<void>)[];
  /** The HTTP/1.1 app's fast lane (server/fast-lane.ts), when it has one. */
  fastLane: FastLane | null;
  /** The ports this lab listens on, once it does (`GET /api/endpoints`, for the "open N streams" page). */
  ports: { http: number | null; https: number | null; h2c: number | null };
}

/** The options every lab plugin is registered with (`app.register(plugin, { lab })`). */
export interface LabPluginOptions {
  lab: Lab;
  /** The protocol of the server the plugin is registered on (the lab's HTTP/1.1 app, or its h2 app). */
  protocol?: 'http/1.1' | 'h2';
  /** Where a transport may add a fast lane for its well-formed requests (server/fast-lane.ts); absent: none. */
  fastLane?: FastLane;
}

export function createLab(options: LabOptions): Lab {
  const feed = new Feed(options.retention);
  const instance = options.instance ?? `${process.pid}-${newEpoch().slice(0, 4)}`;
  const backend: FeedBackend =
    options.redisUrl === null
      ? new MemoryBackend()
      : new RedisBackend({ url: options.redisUrl, instance, retention: options.retention });
  return {
    options,
    instance,
    backend,
    feed,
    ticker: new Ticker(feed, options),
    accounting: new Accounting({ forceApproximateBytes: options.forceApproximateBytes }),
    closing: false,
    classroom: null,
    closeAfter: [],
    fastLane: null,
    ports: { http: null, https: null, h2c: null },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    lab: Lab;
  }
}
