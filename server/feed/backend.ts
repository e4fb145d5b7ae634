/**
 * Where published messages go and how every instance hears of them. `memory` (the default) is the
 * feed of this one process; `redis` (server/feed/redis-backend.ts) shares one stream among many
 * instances. Either way the transports read the local `Feed`, synchronously; only publishing,
 * the ticker's settings and a cursor that is ahead of this replica touch the backend.
 */
import type { Cursor, FeedSettings } from '../../contract/index.js';
import type { Feed } from './feed.js';
import type { Ticker } from './ticker.js';

export type BackendName = 'memory' | 'redis';

export interface PublishResult {
  epoch: string;
  seq: number;
}

export interface BackendStatus {
  kind: BackendName;
  /** False while the broker is unreachable: publishes are refused, reads serve what this instance holds. */
  connected: boolean;
  /** Publishes refused or lost because the broker could not be reached. */
  publishFailures: number;
}

export interface FeedBackend {
  readonly kind: BackendName;
  /** Connects (a broker) and fills the local feed; throws with a clear message when it cannot. */
  start(feed: Feed, ticker: Ticker): Promise<void>;
  /** Publish one message. Memory answers at once; a broker answers once the message is in its stream. */
  publish(data: unknown): PublishResult | Promise<PublishResult>;
  /** Change the ticker's settings (every instance's, behind a broker). */
  updateTicker(settings: FeedSettings): Promise<void>;
  /**
   * A cursor this replica cannot honour yet (ahead of its head, or naming an epoch it has not
   * seen) may be one another instance already served: wait, bounded, until this replica caught
   * up. Null when there is nothing to wait for (always, for memory).
   */
  settle(cursor: Cursor<string | null>): Promise<void> | null;
  status(): BackendStatus;
  close(): Promise<void>;
}

/** Today's feed: publish straight into the local ring; nothing to connect, nothing to wait for. */
export class MemoryBackend implements FeedBackend {
  readonly kind = 'memory';
  private feed: Feed | null = null;
  private ticker: Ticker | null = null;

  async start(feed: Feed, ticker: Ticker): Promise<void> {
    this.feed = feed;
    this.ticker = ticker;
  }

  publish(data: unknown): PublishResult {
    const feed = this.feed as Feed;
    const entry = feed.publish(data);
    return { epoch: feed.epoch, seq: entry.seq };
  }

  async updateTicker(settings: FeedSettings): Promise<void> {
    this.ticker?.update(settings);
  }

  settle(): null {
    return null;
  }

  status(): BackendStatus {
    return { kind: 'memory', connected: true, publishFailures: 0 };
  }

  async close(): Promise<void> {}
}
