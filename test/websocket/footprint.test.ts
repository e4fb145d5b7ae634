/**
 * What an idle `/api/ws` socket keeps beyond bare `ws`'s, counted (server/transports/ws-socket.ts,
 * ws-connection.ts, ws-guard.ts, ws-heartbeat.ts): a lab holds thousands of idle sockets. Each is
 * a LabWebSocket with its connection in a field, and ws's own `close` listener is its only one (no
 * listener per event of ours, no symbol tag); the fragment guard keeps its count on the connection
 * (no object of its own); no frame budget until the client sends a frame; the Host check's cached
 * local address is let go; the heartbeat walks ws's set of sockets (no set of its own) and still
 * pings them all. Behaviour is the other tests' (bad-input-ws, liveness, hot-path).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { LabWebSocket } from '../../server/transports/ws-socket.js';
import { openWs, type Running, startLab, until } from '../harness.js';

let lab: Running | null = null;
afterEach(async () => {
  await lab?.close();
  lab = null;
});

type ServerSide = LabWebSocket & {
  _socket: { _sockname?: unknown };
  _receiver: Record<string | symbol, unknown>;
  connection: { budget: unknown; fragments: number; fragmentTimer: unknown; alive: boolean } | null;
};

describe('an idle WebSocket', () => {
  it('keeps no listener, tag, guard object, budget or address of the lab’s; the heartbeat still reaches it', async () => {
    lab = await startLab({ wsPingMs: 200 });
    const clients = await Promise.all(Array.from({ length: 6 }, (_, i) => openWs(lab?.url ?? '', `foot-${i}`)));
    const pings: number[] = clients.map(() => 0);
    clients.forEach((ws, i) => {
      ws.on('ping', () => {
        pings[i] = (pings[i] ?? 0) + 1;
      });
    });
    const server = lab.app.websocketServer.clients as Set<ServerSide>;
    await until(() => server.size === 6, 10_000, 'six server sockets');
    for (const socket of server) {
      expect(socket).toBeInstanceOf(LabWebSocket);
      expect(socket.connection).not.toBeNull();
      // ws's clientTracking `close` listener is the only one, as on a bare ws server.
      expect(socket.eventNames()).toEqual(['close']);
      expect(socket.listenerCount('close')).toBe(1);
      // No symbol tag: the same own symbols as a client-side ws socket (EventEmitter's).
      expect(Object.getOwnPropertySymbols(socket).length).toBe(Object.getOwnPropertySymbols(clients[0]).length);
      expect(socket.connection?.budget).toBeNull();
      expect(socket.connection?.fragments).toBe(0);
      expect(socket._socket._sockname ?? null).toBeNull();
      // The guard's state is the connection itself, not an object of its own.
      const onReceiver = Object.getOwnPropertySymbols(socket._receiver).map((key) => socket._receiver[key]);
      expect(onReceiver.filter((value) => value === socket.connection)).toHaveLength(1);
      // Beside ws's own back reference to the socket, no other object (a guard of its own).
      const objects = onReceiver.filter((value) => typeof value === 'object' && value !== null && value !== socket);
      expect(objects).toEqual([socket.connection]);
    }
    // Every socket is pinged by the one sweep over ws's set, and answers (pongs set `alive` again).
    await until(() => pings.every((n) => n >= 2), 10_000, 'two pings on every socket');
    // A frame makes the budget, once.
    const first = clients[0] as WebSocket;
    first.send(JSON.stringify({ type: 'echo', n: 1 }));
    await new Promise((resolve) => first.once('message', resolve));
    const budgets = [...server].filter((socket) => socket.connection?.budget !== null);
    expect(budgets).toHaveLength(1);
    for (const ws of clients) ws.terminate();
    await until(() => server.size === 0, 10_000, 'every socket gone');
  });
});
