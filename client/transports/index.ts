/**
 * The client transports, one file each, all of one shape (FeedClient). Everything else
 * iterates this registry (or TRANSPORTS) instead of naming transports by hand.
 */
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { LongPollClient } from './long-poll.js';
import { ShortPollClient } from './short-poll.js';
import { SseClient } from './sse.js';
import type { FeedClientOptions } from './types.js';
import { WebSocketClient } from './websocket.js';

export interface ClientClasses {
  'short-poll': ShortPollClient;
  'long-poll': LongPollClient;
  sse: SseClient;
  websocket: WebSocketClient;
}

export const CLIENTS: { [T in TransportName]: new (options: FeedClientOptions) => ClientClasses[T] } = {
  'short-poll': ShortPollClient,
  'long-poll': LongPollClient,
  sse: SseClient,
  websocket: WebSocketClient,
};

/** A client for `transport`. It needs `options.fetch` (polls), `EventSource` (sse) or `WebSocket` (websocket). */
export function createClient<T extends TransportName>(transport: T, options: FeedClientOptions): ClientClasses[T] {
  const Client = CLIENTS[transport];
  if (Client === undefined)
    throw new TypeError(`unknown transport ${JSON.stringify(transport)}; expected one of ${TRANSPORTS.join(', ')}`);
  return new Client(options);
}

export { TRANSPORTS, type TransportName } from '../../contract/index.js';
export { BaseFeedClient } from './base.js';
export { LongPollClient } from './long-poll.js';
export { ShortPollClient } from './short-poll.js';
export { SseClient } from './sse.js';
export * from './types.js';
export { WebSocketClient } from './websocket.js';
