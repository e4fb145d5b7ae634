/**
 * The WebSocket heartbeat, swept by one timer for all of a lab's sockets: every `intervalMs` each
 * socket that answered the previous ping (or is new) is pinged again, and one that did not is
 * terminated: a dead peer goes at the second sweep after its last pong, within two intervals, as it
 * did with a timer per socket. A socket costs a flag, not a timer and a closure, and not an entry
 * of its own either: the sweep walks ws's own set of the server's sockets (its `clients`, which ws
 * keeps anyway) and beats those that have a connection (ws-socket.ts).
 */
import type { WebSocket } from 'ws';
import { SweepTimer } from './heartbeat.js';

export interface Beating {
  readonly socket: WebSocket;
  /** Answered the last ping (a pong came), or no ping was sent yet. */
  alive: boolean;
}

/** What the sweep walks: the server's sockets, each with its connection once the route made it. */
type Swept = Iterable<{ connection: Beating | null }>;

function pingOrTerminate(beating: Beating): void {
  if (!beating.alive) {
    beating.socket.terminate();
    return;
  }
  beating.alive = false;
  beating.socket.ping();
}

/** Joined and left once per connection; the sweep walks the server's own sockets. */
export class WsHeartbeat extends SweepTimer {
  constructor(
    intervalMs: number,
    private readonly sockets: Swept,
  ) {
    super(intervalMs);
  }

  /** A connection began: it is beaten from the next sweep on. */
  add(): void {
    this.joined();
  }

  /** A connection ended (once per `add`). */
  delete(): void {
    this.left();
  }

  protected sweep(): void {
    for (const socket of this.sockets) {
      const { connection } = socket;
      if (connection !== null) pingOrTerminate(connection);
    }
  }
}
