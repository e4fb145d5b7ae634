/**
 * The open streams (WebSockets, SSE streams, held long polls, the stats stream): counted in the
 * `connections` counter while open, bounded by `maxStreams`, and closed the transport's own way
 * on shutdown.
 */
import type { Attribution, Ledger } from './ledger.js';

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

  /** Count the stream as open; the function returned closes it (calling it twice is harmless). */
  add(stream: OpenStream): () => void {
    this.hold(stream);
    return () => this.release(stream);
  }

  /** `add` without the closure, for a stream that keeps itself (a held long poll): `release` ends it. */
  hold(stream: OpenStream): void {
    this.open.add(stream);
    this.ledger.add(stream.who, 'connections', 1);
  }

  /** The stream closed: counted once, however many times it is called. */
  release(stream: OpenStream): void {
    if (this.open.delete(stream)) this.ledger.add(stream.who, 'connections', -1);
  }

  closeAll(): void {
    for (const stream of [...this.open]) stream.close();
  }
}
