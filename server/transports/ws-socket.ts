/**
 * The class of the lab's server-side WebSockets (ws's `WebSocket` server option, set by
 * websocket.ts): ws's own, plus one field, the connection it serves (ws-connection.ts), to which
 * the socket hands its events itself. A listener per event per socket would put four more entries
 * into every socket's listener table (a dictionary, ~150 B more per idle socket than bare `ws`'s
 * one entry), and a symbol tag to find the connection another property; a lab holds thousands of
 * idle sockets. Events go on to ws's own listeners as before (the server's client set on `close`).
 */
import { WebSocket } from 'ws';
import type { Beating } from './ws-heartbeat.js';

/** What a socket's events are for (WsConnection). */
export interface WsEvents extends Beating {
  receive(data: Buffer, isBinary: boolean): void;
  closed(): void;
  failed(error: Error): void;
}

export class LabWebSocket extends WebSocket {
  /** Set once the route has made the socket's connection; null before. */
  connection: WsEvents | null = null;

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const connection = this.connection;
    if (connection !== null) {
      if (event === 'message') connection.receive(args[0] as Buffer, args[1] as boolean);
      else if (event === 'pong') connection.alive = true;
      else if (event === 'close') connection.closed();
      else if (event === 'error') {
        // Handled here in full: an `error` without a listener would throw.
        connection.failed(args[0] as Error);
        return true;
      }
    }
    return super.emit(event, ...args);
  }
}

/** The lab's socket, as the route's handler receives it (typed by @fastify/websocket as ws's WebSocket). */
export function labSocket(socket: WebSocket): LabWebSocket {
  if (!(socket instanceof LabWebSocket))
    throw new Error("ws-socket: the WebSocket server's `WebSocket` option is not LabWebSocket (websocket.ts sets it)");
  return socket;
}
