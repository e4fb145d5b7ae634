/**
 * What HTTP/2 and TLS add to the picture, beside the lab's main ledger (which keeps bytes at the
 * TCP socket per transport and client, on every protocol):
 *
 * - H2Ledger: per transport and per client, the plaintext h2 bytes split by frame kind — HEADERS
 *   (with CONTINUATION and PUSH_PROMISE: HPACK-compressed header blocks), DATA, and control frames
 *   on the stream (RST_STREAM, WINDOW_UPDATE, PRIORITY) — each with its 9-byte frame headers, and
 *   the number of frames and streams. Exact: every frame was read at its boundary.
 * - TlsTally: per TLS connection (h2 or HTTP/1.1), the handshake's bytes (everything up to the
 *   secure connection) and, after it, ciphertext against plaintext: the record overhead.
 */
import type { Socket } from 'node:net';
import { TRANSPORTS } from '../../contract/index.js';
import type { Attribution, Bucket, Ledger } from '../accounting/ledger.js';
import { sentBytes } from '../accounting/wire-meter.js';
import type { FrameKind } from './frames.js';

export interface H2Counters {
  streams: number;
  headersIn: number;
  headersOut: number;
  dataIn: number;
  dataOut: number;
  controlIn: number;
  controlOut: number;
  framesIn: number;
  framesOut: number;
}

export const emptyH2Counters = (): H2Counters => ({
  streams: 0,
  headersIn: 0,
  headersOut: 0,
  dataIn: 0,
  dataOut: 0,
  controlIn: 0,
  controlOut: 0,
  framesIn: 0,
  framesOut: 0,
});

type Buckets = Record<Bucket, H2Counters>;

function emptyBuckets(): Buckets {
  const out = { other: emptyH2Counters() } as Buckets;
  for (const transport of TRANSPORTS) out[transport] = emptyH2Counters();
  return out;
}

/** Client ids remembered at most (as the main ledger): the least recently active goes first. */
const MAX_CLIENTS = 10_000;

export class H2Ledger {
  private readonly totals = emptyBuckets();
  private readonly clients = new Map<string, Buckets>();

  stream(who: Attribution): void {
    for (const buckets of this.targets(who)) buckets[who.bucket].streams += 1;
  }

  add(who: Attribution, kind: FrameKind, direction: 'in' | 'out', bytes: number, frames: number): void {
    const field = `${kind}${direction === 'in' ? 'In' : 'Out'}` as const;
    const frameField = direction === 'in' ? 'framesIn' : 'framesOut';
    for (const buckets of this.targets(who)) {
      buckets[who.bucket][field] += bytes;
      buckets[who.bucket][frameField] += frames;
    }
  }

  read(client: string | null = null): Buckets {
    return structuredClone(client === null ? this.totals : (this.clients.get(client) ?? emptyBuckets()));
  }

  private targets(who: Attribution): Buckets[] {
    if (who.client === null) return [this.totals];
    let buckets = this.clients.get(who.client);
    if (buckets) this.clients.delete(who.client);
    else {
      buckets = emptyBuckets();
      if (this.clients.size >= MAX_CLIENTS) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
    }
    this.clients.set(who.client, buckets);
    return [this.totals, buckets];
  }
}

export interface TlsReport {
  connections: number;
  /** Bytes up to the secure connection (TLS 1.3 may fold the client's first request into it). */
  handshakeIn: number;
  handshakeOut: number;
  /** After the handshake: ciphertext at the TCP socket, and the plaintext it carried. */
  cipherIn: number;
  cipherOut: number;
  plainIn: number;
  plainOut: number;
}

interface OpenTls {
  handshakeIn: number;
  handshakeOut: number;
  plain: () => { in: number; out: number };
}

const OTHER: Attribution = { bucket: 'other', client: null, held: null };

export class TlsTally {
  private readonly closedTotals: TlsReport = {
    connections: 0,
    handshakeIn: 0,
    handshakeOut: 0,
    cipherIn: 0,
    cipherOut: 0,
    plainIn: 0,
    plainOut: 0,
  };
  private readonly open = new Map<Socket, OpenTls>();

  /**
   * A TLS connection finished its handshake. `ledger`: also credit the handshake's bytes to
   * `other` there (the HTTP/1.1 meter does that itself when it starts tracking the socket).
   */
  handshake(wire: Socket, plain: () => { in: number; out: number }, ledger?: Ledger): void {
    const entry = { handshakeIn: wire.bytesRead ?? 0, handshakeOut: sentBytes(wire), plain };
    this.open.set(wire, entry);
    if (ledger) {
      ledger.add(OTHER, 'bytesIn', entry.handshakeIn);
      ledger.add(OTHER, 'bytesOut', entry.handshakeOut);
    }
    wire.once('close', () => {
      this.add(this.closedTotals, wire, entry);
      this.open.delete(wire);
    });
  }

  report(): TlsReport {
    const out = { ...this.closedTotals };
    for (const [wire, entry] of this.open) this.add(out, wire, entry);
    return out;
  }

  private add(into: TlsReport, wire: Socket, entry: OpenTls): void {
    const plain = entry.plain();
    into.connections += 1;
    into.handshakeIn += entry.handshakeIn;
    into.handshakeOut += entry.handshakeOut;
    into.cipherIn += (wire.bytesRead ?? 0) - entry.handshakeIn;
    into.cipherOut += sentBytes(wire) - entry.handshakeOut;
    into.plainIn += plain.in;
    into.plainOut += plain.out;
  }
}
