/**
 * The state every part of the server shares, built once per app: the feed and its ticker, the
 * wire accounting, and the registry of open streams (for the connection bound and for shutdown).
 */
import type { FastifyRequest } from 'fastify';
import { CLIENT_PATTERN, type TransportName } from '../contract/index.js';
import type { Attribution, Ledger } from './accounting/ledger.js';
import type { WireMeter } from './accounting/wire-meter.js';
import type { LabOptions } from './config.js';
import type { FeedBackend } from './feed/backend.js';
import type { Feed, FeedEntry } from './feed/feed.js';
import type { Ticker } from './feed/ticker.js';

export interface OpenStream {
  who: Attribution;
  /** End this stream the transport's own way for a shutdown (long poll: 200 empty; SSE: end; WS: 1012). */
  close(): void;
}

export class StreamRegistry {
  private readonly open = new Set<OpenStream>();

  constructor(private readonly ledger: Ledger) {}

  get size(): number {
    return this.open.size;
  }

  add(stream: OpenStream): () => void {
    this.open.add(stream);
    this.ledger.add(stream.who, 'connections', 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open.delete(stream);
      this.ledger.add(stream.who, 'connections', -1);
    };
  }

  closeAll(): void {
    for (const stream of [...this.open]) stream.close();
  }
}

export interface Lab {
  options: LabOptions;
  /** This instance's name (many may serve one feed behind a balancer). */
  instance: string;
  /** Where publishes go and how this instance's `feed` is filled (server/feed/backend.ts). */
  backend: FeedBackend;
  feed: Feed;
  ticker: Ticker;
  ledger: Ledger;
  meter: WireMeter;
  streams: StreamRegistry;
  /** True once shutdown began: new long-lived streams are refused. */
  closing: boolean;
}

const CLIENT = new RegExp(CLIENT_PATTERN);

/**
 * Who a request's traffic belongs to: its route's transport (else `other`) and its client id.
 * Worked out once, when the accounting hook first asks, and kept on the request for its handler.
 */
export function attributionOf(request: FastifyRequest): Attribution {
  if (request.labWho !== null) return request.labWho;
  const config = request.routeOptions.config as { transport?: TransportName } | undefined;
  const client = (request.query as Record<string, unknown> | undefined)?.client;
  request.labWho = {
    bucket: config?.transport ?? 'other',
    client: typeof client === 'string' && CLIENT.test(client) ? client : null,
  };
  return request.labWho;
}

/** Count feed messages delivered to someone (messages and their payload bytes). */
export function countDelivered(ledger: Ledger, who: Attribution, entries: readonly FeedEntry[]): void {
  if (entries.length === 0) return;
  ledger.add(who, 'messages', entries.length);
  ledger.add(
    who,
    'payloadBytes',
    entries.reduce((sum, entry) => sum + entry.bytes, 0),
  );
}

declare module 'fastify' {
  interface FastifyInstance {
    lab: Lab;
  }
  interface FastifyRequest {
    /** Set by `attributionOf`; null until then. */
    labWho: Attribution | null;
  }
  interface FastifyContextConfig {
    transport?: TransportName;
  }
}
