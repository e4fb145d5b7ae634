/**
 * The WebSocket heartbeat, swept by one timer for all of a lab's sockets (heartbeat.ts): every
 * `intervalMs` each socket that answered the previous ping (or is new) is pinged again, and one
 * that did not is terminated: a dead peer goes at the second sweep after its last pong, within two
 * intervals, as it did with a timer per socket. A socket costs a flag, not a timer and a closure.
 */
import type { WebSocket } from 'ws';
import { Heartbeat } from './heartbeat.js';

export interface Beating {
  readonly socket: WebSocket;
  /** Answered the last ping (a pong came), or no ping was sent yet. */
  alive: boolean;
}

export type WsHeartbeat = Heartbeat<Beating>;

function pingOrTerminate(beating: Beating): void {
  if (!beating.alive) {
    beating.socket.terminate();
    return;
  }
  beating.alive = false;
  beating.socket.ping();
}

export function wsHeartbeat(intervalMs: number): WsHeartbeat {
  return new Heartbeat(intervalMs, pingOrTerminate);
}
