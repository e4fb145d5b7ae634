/**
 * The WebSocket heartbeat, swept by one timer for all of a lab's sockets: every `intervalMs` each
 * socket that answered the previous ping (or is new) is pinged again, and one that did not is
 * terminated: a dead peer goes at the second sweep after its last pong, within two intervals, as it
 * did with a timer per socket. A socket costs a flag, not a timer and a closure, and not an entry
 * of its own either: the sweep walks ws's own set of the server's sockets (its `clients`, which ws
 * keeps anyway) and beats those that have a connection (ws-socket.ts).
 */
import type { WebSocket } from 'ws';

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

export class WsHeartbeat {
  /** Connections between `add` and `delete`: the timer runs while there is one. */
  private members = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly sockets: Swept,
  ) {}

  get size(): number {
    return this.members;
  }

  /** A connection began: it is beaten from the next sweep on. */
  add(): void {
    this.members += 1;
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      // The server's listening socket keeps the process alive, not this timer.
      this.timer.unref();
    }
  }

  /** A connection ended (once per `add`). */
  delete(): void {
    this.members = Math.max(0, this.members - 1);
    if (this.members === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private sweep(): void {
    for (const socket of this.sockets) {
      const { connection } = socket;
      if (connection !== null) pingOrTerminate(connection);
    }
  }
}
