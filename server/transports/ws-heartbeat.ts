/**
 * The WebSocket heartbeat: ONE timer for all of a lab's sockets, not one interval per socket.
 * Every `intervalMs` each socket that answered the previous ping (or is new) is pinged again, and
 * one that did not is terminated: a dead peer goes at the second sweep after its last pong, within
 * two intervals, as it did with a timer per socket. A socket costs a flag, not a timer and a closure.
 */
import type { WebSocket } from 'ws';

export interface Beating {
  readonly socket: WebSocket;
  /** Answered the last ping (a pong came), or no ping was sent yet. */
  alive: boolean;
}

export class Heartbeat {
  private readonly sockets = new Set<Beating>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs: number) {}

  add(beating: Beating): void {
    this.sockets.add(beating);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      // The server's listening socket keeps the process alive, not this timer.
      this.timer.unref();
    }
  }

  delete(beating: Beating): void {
    this.sockets.delete(beating);
    if (this.sockets.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private sweep(): void {
    for (const beating of this.sockets) {
      if (!beating.alive) {
        beating.socket.terminate();
        continue;
      }
      beating.alive = false;
      beating.socket.ping();
    }
  }
}
