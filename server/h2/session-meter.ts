/**
 * Accounting for HTTP/2 connections, where one TCP connection carries many streams of many
 * transports and clients at once (the HTTP/1.1 meter, server/accounting/wire-meter.ts, gives a
 * socket to one request at a time; that does not hold here).
 *
 * Every frame passes through a FrameTap (frame-tap.ts), so each byte of plaintext is known to
 * belong to a stream, and each stream to the request on it. Settling moves bytes into the lab's
 * ledger, and the frames' split (HEADERS / DATA / control, per stream owner) into the H2 ledger:
 *
 * - h2c (cleartext): the plaintext *is* the TCP stream. Incoming bytes go to their stream's owner;
 *   outgoing bytes are released in order only as far as the kernel has accepted them (as the
 *   HTTP/1.1 meter does), so the counts equal a TCP proxy's, per owner, exactly.
 * - h2 over TLS: the TCP bytes are ciphertext. What the handshake cost (everything up to the
 *   secure connection) goes to `other` and to the TLS tally; after that, each settlement shares
 *   the ciphertext between owners in proportion to their plaintext frames. The sum is exact;
 *   the share of TLS record overhead per owner is an ESTIMATE (reported as such in /api/stats/h2).
 *
 * The preface and stream-0 frames (SETTINGS, PING, GOAWAY, connection WINDOW_UPDATE) belong to no
 * request: they go to `other`, as do frames of a stream no request was seen on (a refused or reset one).
 */
import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { Attribution, Ledger } from '../accounting/ledger.js';
import { sentBytes } from '../accounting/wire-meter.js';
import { FrameTap } from './frame-tap.js';
import { type FrameBytes, type FrameKind, FrameReader, frameKind } from './frames.js';
import type { H2Ledger, TlsTally } from './h2-ledger.js';

const OTHER: Attribution = { bucket: 'other', client: null, held: null };

interface Owner {
  who: Attribution | null;
  stream: ServerHttp2Stream | null;
}

interface Piece {
  owner: Owner;
  kind: FrameKind;
  bytes: number;
  /** Frames this piece begins (0 or 1). */
  frames: number;
}

class Connection {
  readonly owners = new Map<number, Owner>();
  readonly connectionOwner: Owner = { who: OTHER, stream: null };
  readonly incoming: Piece[] = [];
  readonly outgoing: Piece[] = [];
  readMark: number;
  writeMark: number;
  finalSent: number | null = null;
  session: ServerHttp2Session | null = null;
  /** Plaintext h2 bytes read and written so far (for the TLS record-overhead tally). */
  plainIn = 0;
  plainOut = 0;

  constructor(
    readonly wire: Socket,
    readonly tls: boolean,
  ) {
    // On a TLS connection the handshake is done by now: the marks start past it (settled by the caller).
    this.readMark = wire.bytesRead ?? 0;
    this.writeMark = sentBytes(wire);
  }

  ownerOf(streamId: number): Owner {
    if (streamId === 0) return this.connectionOwner;
    let owner = this.owners.get(streamId);
    if (!owner) {
      owner = { who: null, stream: null };
      this.owners.set(streamId, owner);
    }
    return owner;
  }

  record(queue: Piece[], piece: FrameBytes): void {
    if (queue === this.incoming) this.plainIn += piece.bytes;
    else this.plainOut += piece.bytes;
    const owner = piece.preface ? this.connectionOwner : this.ownerOf(piece.streamId);
    queue.push({
      owner,
      kind: piece.preface ? 'control' : frameKind(piece.type),
      bytes: piece.bytes,
      frames: piece.starts ? 1 : 0,
    });
  }
}

export class SessionMeter {
  private readonly connections = new Set<Connection>();
  private readonly bySession = new WeakMap<ServerHttp2Session, Connection>();

  constructor(
    private readonly ledger: Ledger,
    private readonly frames: H2Ledger,
    private readonly tlsTally: TlsTally,
  ) {}

  get openConnections(): number {
    return this.connections.size;
  }

  /**
   * Wrap a connection that speaks h2 (cleartext `socket`, or a TLS socket over `wire`) in a tap,
   * for Node's http2 server to serve. The returned duplex is what the server must be given.
   */
  wrap(socket: Socket, wire: Socket): FrameTap {
    const tls = socket !== wire;
    // As Node's own HTTP servers do: no Nagle delay on small frames (it would hold a HEADERS
    // frame for the peer's delayed ACK, ~40 ms, when the tap writes it apart from its DATA).
    wire.setNoDelay(true);
    const connection = new Connection(wire, tls);
    if (tls) {
      this.tlsTally.handshake(wire, () => ({ in: connection.plainIn, out: connection.plainOut }), this.ledger);
    }
    const inReader = new FrameReader(true, (piece) => connection.record(connection.incoming, piece));
    const outReader = new FrameReader(false, (piece) => connection.record(connection.outgoing, piece));
    const tap = new FrameTap(
      socket,
      (chunk) => inReader.push(chunk),
      (chunk) => outReader.push(chunk),
      wire,
    );
    this.connections.add(connection);
    const wireInternals = wire as unknown as {
      _destroy?: (error: Error | null, callback: (error?: Error | null) => void) => void;
    };
    const destroy = wireInternals._destroy;
    if (typeof destroy === 'function') {
      wireInternals._destroy = function (this: Socket, error, callback) {
        if (connection.finalSent === null) connection.finalSent = sentBytes(this);
        return destroy.call(this, error, callback);
      };
    }
    wire.once('close', () => {
      this.settle(connection);
      this.connections.delete(connection);
    });
    (tap as FrameTap & { labConnection?: Connection }).labConnection = connection;
    return tap;
  }

  /** Node made a session for a tap (the http2 server's 'session' event). */
  adopt(session: ServerHttp2Session): void {
    // Node wraps a socket without a native handle in a JSStreamSocket, whose `stream` is our tap.
    const socket = session.socket as unknown as { labConnection?: Connection; stream?: { labConnection?: Connection } };
    const connection = socket.labConnection ?? socket.stream?.labConnection;
    if (connection) {
      connection.session = session;
      this.bySession.set(session, connection);
    }
  }

  /** A request began on `stream`: its frames, before and after, are `who`'s. */
  begin(stream: ServerHttp2Stream, who: Attribution): void {
    const connection = this.bySession.get(stream.session as ServerHttp2Session);
    if (!connection || stream.id === undefined) return;
    const owner = connection.ownerOf(stream.id);
    owner.who = who;
    owner.stream = stream;
    this.frames.stream(who);
    stream.once('close', () => {
      // Late frames of a closed stream (a WINDOW_UPDATE, an RST) still find the owner until the
      // next settlement; after that they go to `other`.
      this.settle(connection);
      connection.owners.delete(stream.id ?? -1);
    });
    this.settle(connection);
  }

  /** Whether this stream's connection is TLS (`h2`) or cleartext (`h2c`). */
  isTls(stream: ServerHttp2Stream): boolean {
    return this.bySession.get(stream.session as ServerHttp2Session)?.tls === true;
  }

  settleStream(stream: ServerHttp2Stream): void {
    const connection = this.bySession.get(stream.session as ServerHttp2Session);
    if (connection) this.settle(connection);
  }

  settleAll(): void {
    for (const connection of this.connections) this.settle(connection);
  }

  /** Reset (RST_STREAM CANCEL) every stream now serving someone matching `match`: the h2 "cut". */
  destroyWhere(match: (who: Attribution) => boolean): number {
    let cut = 0;
    for (const connection of this.connections) {
      for (const owner of connection.owners.values()) {
        if (owner.who && owner.stream && !owner.stream.destroyed && match(owner.who)) {
          owner.stream.destroy();
          cut += 1;
        }
      }
    }
    return cut;
  }

  private settle(connection: Connection): void {
    const read = connection.wire.bytesRead ?? connection.readMark;
    const sent = connection.finalSent ?? sentBytes(connection.wire);
    if (connection.tls) {
      this.share(connection.incoming.splice(0), read - connection.readMark, 'in');
      connection.readMark = Math.max(read, connection.readMark);
      this.share(connection.outgoing.splice(0), sent - connection.writeMark, 'out');
      connection.writeMark = Math.max(sent, connection.writeMark);
      return;
    }
    // Cleartext: every byte read has been through the reader; what is written is released in
    // order, as far as the kernel took it.
    for (const piece of connection.incoming.splice(0)) this.credit(piece, piece.bytes, 'in');
    connection.readMark = read;
    let budget = sent - connection.writeMark;
    while (budget > 0 && connection.outgoing.length > 0) {
      const piece = connection.outgoing[0] as Piece;
      const n = Math.min(piece.bytes, budget);
      this.credit({ ...piece, bytes: n }, n, 'out');
      budget -= n;
      connection.writeMark += n;
      if (n === piece.bytes) connection.outgoing.shift();
      else {
        piece.bytes -= n;
        piece.frames = 0;
      }
    }
  }

  /** TLS: `wireBytes` of ciphertext shared among `pieces` in proportion to their plaintext. */
  private share(pieces: Piece[], wireBytes: number, direction: 'in' | 'out'): void {
    const plaintext = pieces.reduce((sum, p) => sum + p.bytes, 0);
    if (plaintext === 0) {
      if (wireBytes > 0) this.ledger.add(OTHER, direction === 'in' ? 'bytesIn' : 'bytesOut', wireBytes);
      return;
    }
    let left = Math.max(0, wireBytes);
    pieces.forEach((piece, i) => {
      const share = i === pieces.length - 1 ? left : Math.min(left, Math.floor((wireBytes * piece.bytes) / plaintext));
      left -= share;
      this.credit(piece, share, direction);
    });
  }

  private credit(piece: Piece, wireBytes: number, direction: 'in' | 'out'): void {
    const who = piece.owner.who ?? OTHER;
    this.ledger.add(who, direction === 'in' ? 'bytesIn' : 'bytesOut', wireBytes);
    this.frames.add(who, piece.kind, direction, piece.bytes, piece.frames);
  }
}
