/**
 * Bytes on the wire, counted at the TCP socket: `socket.bytesRead` / `bytesWritten` deltas, so
 * request lines, headers, chunked framing, SSE fields, heartbeats, WebSocket frame headers,
 * masks, pings, closes and the upgrade handshake are all in.
 *
 * A keep-alive socket carries many requests, perhaps of different transports and clients (a
 * browser reuses one for everything), so bytes are attributed per request: a socket's bytes go
 * to the request it is serving, settled whenever that changes and whenever stats are read.
 * (HTTP pipelining would blur the line between two requests; no browser pipelines.)
 */
import type { Socket } from 'node:net';
import type { Attribution, Ledger } from './ledger.js';

interface Metered {
  socket: Socket;
  who: Attribution;
  readMark: number;
  writeMark: number;
}

const UNATTRIBUTED: Attribution = { bucket: 'other', client: null };

export class WireMeter {
  private readonly sockets = new Map<Socket, Metered>();

  constructor(private readonly ledger: Ledger) {}

  /** Start metering a socket as soon as it is accepted. */
  track(socket: Socket): void {
    const metered: Metered = { socket, who: UNATTRIBUTED, readMark: 0, writeMark: 0 };
    this.sockets.set(socket, metered);
    socket.once('close', () => {
      this.settle(metered);
      this.sockets.delete(socket);
    });
  }

  /**
   * A new request begins on this socket: from now on its bytes are this request's. What was read
   * since the last settlement (this request's own line and headers) is this request's too.
   */
  begin(socket: Socket, who: Attribution): void {
    const metered = this.sockets.get(socket);
    if (!metered) return;
    metered.who = who;
    this.settle(metered);
  }

  /** Move a socket's unsettled bytes to whoever it serves (at response end, and on stats reads). */
  settleSocket(socket: Socket): void {
    const metered = this.sockets.get(socket);
    if (metered) this.settle(metered);
  }

  /** Settle every open socket, so counters read next are live to the byte. */
  settleAll(): void {
    for (const metered of this.sockets.values()) this.settle(metered);
  }

  /** Drop, abruptly, every socket now serving someone matching `match` (the lab's "cut"). */
  destroyWhere(match: (who: Attribution) => boolean): number {
    let destroyed = 0;
    for (const metered of this.sockets.values()) {
      if (!match(metered.who)) continue;
      metered.socket.destroy();
      destroyed += 1;
    }
    return destroyed;
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  private settle(metered: Metered): void {
    // bytesWritten counts bytes handed to the socket, queued ones included: what will go out.
    const read = metered.socket.bytesRead ?? metered.readMark;
    const written = metered.socket.bytesWritten ?? metered.writeMark;
    this.ledger.add(metered.who, 'bytesIn', read - metered.readMark);
    this.ledger.add(metered.who, 'bytesOut', written - metered.writeMark);
    metered.readMark = read;
    metered.writeMark = written;
  }
}
