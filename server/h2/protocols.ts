/**
 * The protocol each client's transport last arrived on, as the server saw it: `h2` (TLS, ALPN
 * h2), `h2c` (cleartext HTTP/2), `http/1.1+tls` or `http/1.1`. The dashboard shows it on each lane
 * (a browser's EventSource has no Resource Timing entry until its response ends).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Attribution, Bucket } from '../accounting/ledger.js';

export type WireProtocol = 'h2' | 'h2c' | 'http/1.1+tls' | 'http/1.1';

const MAX_CLIENTS = 10_000;

/** An HTTP/1.x request's protocol (h2 streams are told apart by their connection: SessionMeter.isTls). */
export function protocolOf(raw: IncomingMessage): WireProtocol {
  return (raw.socket as TLSSocket | undefined)?.encrypted === true ? 'http/1.1+tls' : 'http/1.1';
}

export class ProtocolBook {
  private readonly clients = new Map<string, Partial<Record<Bucket, WireProtocol>>>();
  /** The client noted last is already the most recent: a run of its requests costs no re-insert. */
  private lastClient: string | null = null;
  private lastEntry: Partial<Record<Bucket, WireProtocol>> | null = null;

  note(who: Attribution, protocol: WireProtocol): void {
    if (who.client === null) return;
    if (who.client === this.lastClient && this.lastEntry !== null) {
      this.lastEntry[who.bucket] = protocol;
      return;
    }
    let entry = this.clients.get(who.client);
    if (entry) this.clients.delete(who.client);
    else {
      entry = {};
      if (this.clients.size >= MAX_CLIENTS) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
    }
    entry[who.bucket] = protocol;
    this.clients.set(who.client, entry);
    this.lastClient = who.client;
    this.lastEntry = entry;
  }

  of(client: string): Partial<Record<Bucket, WireProtocol>> {
    return { ...this.clients.get(client) };
  }
}
