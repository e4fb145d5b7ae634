/**
 * The one interface through which the server counts what it does. Transports call it for what
 * only they know (a message delivered, a reset sent, an answer with nothing in it, a stream opened
 * or closed); the accounting plugin (plugin.ts) calls it for what every request has (the request
 * itself, its bytes at the TCP socket). Nothing else writes a counter. docs/accounting.md says
 * how the numbers are made and what they cannot see.
 */
import type { FastifyRequest } from 'fastify';
import type { FeedEntry } from '../feed/feed.js';
import { H2Ledger, TlsTally } from '../h2/h2-ledger.js';
import { ProtocolBook } from '../h2/protocols.js';
import { SessionMeter } from '../h2/session-meter.js';
import { attributionOf } from './attribution.js';
import { type Attribution, Ledger } from './ledger.js';
import { type OpenStream, StreamRegistry } from './streams.js';
import { WireMeter } from './wire-meter.js';

export type { Attribution, Bucket } from './ledger.js';
export type { OpenStream } from './streams.js';

export class Accounting {
  /** The counters, per transport and per client id (read by /api/stats and /metrics). */
  readonly ledger = new Ledger();
  /** Bytes at the TCP socket, attributed per request. */
  readonly meter: WireMeter;
  private readonly streams = new StreamRegistry(this.ledger);
  /** HTTP/2: the frame split per transport and client (exact), and the TLS tally. */
  readonly h2frames = new H2Ledger();
  readonly tls = new TlsTally();
  /** Bytes of HTTP/2 connections, per stream (the meter above gives a socket to one request at a time). */
  readonly sessions = new SessionMeter(this.ledger, this.h2frames, this.tls);
  /** What each client's transports last arrived on (h2, h2c, http/1.1+tls, http/1.1). */
  readonly protocols = new ProtocolBook();

  constructor(options: { forceApproximateBytes?: boolean } = {}) {
    this.meter = new WireMeter(this.ledger, { forceApproximate: options.forceApproximateBytes });
  }

  /** Who a request's traffic belongs to (its transport and client id). */
  who(request: FastifyRequest): Attribution {
    return attributionOf(request);
  }

  /** An HTTP request was received (the SSE request and the WebSocket upgrade included). */
  request(who: Attribution): void {
    this.ledger.add(who, 'requests', 1);
  }

  /**
   * Feed messages were delivered: counts them and their bytes as encoded for that connection —
   * the JSON by default, or what the transport says (the MessagePack of `lab.v1.msgpack`).
   */
  delivered(
    who: Attribution,
    entries: readonly FeedEntry[],
    payloadBytes = entries.reduce((sum, entry) => sum + entry.bytes, 0),
  ): void {
    if (entries.length === 0) return;
    // Both counters with one per-client recency update (ledger.ts).
    this.ledger.addDelivered(who, entries.length, payloadBytes);
  }

  /** One live message delivered: the hot path of every stream (no array, one ledger update). */
  deliveredOne(who: Attribution, entry: FeedEntry, payloadBytes = entry.bytes): void {
    this.ledger.addDelivered(who, 1, payloadBytes);
  }

  /** A reset notice was sent: the client's cursor could not be honoured exactly. */
  reset(who: Attribution): void {
    this.ledger.add(who, 'resets', 1);
  }

  /** A poll or long-poll answer carried no message. */
  emptyAnswer(who: Attribution): void {
    this.ledger.add(who, 'emptyResponses', 1);
  }

  /** A long-lived stream opened; call the function returned when it closes (twice is harmless). */
  openStream(stream: OpenStream): () => void {
    return this.streams.add(stream);
  }

  /** `openStream` for a stream object that lives as long as the stream (no closure): `closeStream` ends it. */
  holdStream(stream: OpenStream): void {
    this.streams.hold(stream);
  }

  /** A stream held with `holdStream` closed (twice is harmless). */
  closeStream(stream: OpenStream): void {
    this.streams.release(stream);
  }

  /** Streams open now, across all transports (for the `maxStreams` bound). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Settle every open socket and HTTP/2 connection, so counters read next are live to the byte. */
  settleAll(): void {
    this.meter.settleAll();
    this.sessions.settleAll();
  }

  /** Ask every open stream to end its own way (shutdown). */
  closeAllStreams(): void {
    this.streams.closeAll();
  }
}
