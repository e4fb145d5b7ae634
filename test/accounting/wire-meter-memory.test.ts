/**
 * What the wire meter keeps per idle socket (server/accounting/wire-meter.ts), counted: a lab holds
 * thousands of idle sockets, so a plain TCP socket gets the meter's ONE shared `_destroy` (no
 * closure of its own) and no `close` listener of the meter's — it is settled in `_destroy`, which
 * every close path goes through. The bytes stay exact on each destroy path: the test's own
 * `close` listener runs after the meter's settlement, so the ledger it reads is final.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openWs, type Running, startLab, until } from '../harness.js';

type Internals = Socket & { _destroy: unknown };

let lab: Running | null = null;
afterEach(async () => {
  await lab?.close();
  lab = null;
});

describe('the wire meter per idle socket', () => {
  it('shares one _destroy among all plain sockets and adds no close listener', async () => {
    lab = await startLab();
    const sockets: Internals[] = [];
    lab.app.server.on('connection', (socket: Internals) => sockets.push(socket));
    const meter = lab.app.lab.accounting.meter;
    const before = { ...meter.footprint };
    const clients = await Promise.all(Array.from({ length: 12 }, (_, i) => openWs(lab?.url ?? '', `mem-${i}`)));
    await until(() => sockets.length === 12, 10_000, 'the server to see 12 sockets');
    expect(meter.footprint.sharedDestroy - before.sharedDestroy).toBe(12);
    expect(meter.footprint.ownDestroy - before.ownDestroy).toBe(0);
    expect(meter.footprint.closeListeners - before.closeListeners).toBe(0);
    // One function for all: no closure per socket.
    expect(new Set(sockets.map((s) => s._destroy)).size).toBe(1);
    expect(sockets.every((s) => Object.hasOwn(s, '_destroy'))).toBe(true);
    // Listeners on the server's net socket: the meter adds none (ws and Node's http server do theirs).
    const closeListeners = sockets.map((s) => s.listenerCount('close'));
    expect(new Set(closeListeners).size).toBe(1);
    for (const ws of clients) ws.terminate();
    await until(() => meter.openSockets === 0, 10_000, 'every socket to be forgotten');
  });

  it('settles and forgets a socket on every destroy path: our cut, a peer reset, ws terminate, a clean close', async () => {
    lab = await startLab();
    const running = lab;
    const meter = running.app.lab.accounting.meter;
    const stats = async () => (await fetch(`${running.url}/api/stats`)).json() as Promise<unknown>;
    await stats(); // the stats socket is a keep-alive one: count it in, then look at the WebSockets only
    const open = meter.openSockets;
    const cut = await openWs(running.url, 'mem-cut');
    const reset = await openWs(running.url, 'mem-reset');
    const terminated = await openWs(running.url, 'mem-terminate');
    const clean = await openWs(running.url, 'mem-clean');
    await until(() => meter.openSockets === open + 4, 10_000, 'four metered WebSockets');
    expect(meter.destroyWhere((who) => who.client === 'mem-cut')).toBe(1); // the lab's cut
    (reset as unknown as { _socket: Socket })._socket.resetAndDestroy(); // the peer resets
    terminated.terminate(); // the client drops its side
    clean.close(1000);
    await until(() => meter.openSockets === open, 10_000, 'every WebSocket to be settled and forgotten');
    expect(cut.readyState === WebSocket.CLOSED || cut.readyState === WebSocket.CLOSING).toBe(true);
  });
});
