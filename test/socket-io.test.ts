/**
 * Socket.IO, the fifth transport, with real socket.io-client 4.8 clients: the notes' emit/on,
 * broadcast, acknowledgement and cors; resume through Socket.IO's connection-state recovery and
 * through the lab's cursor, and where recovery gives up (a long gap, a restart) while the cursor
 * does not; the browser client served by the lab.
 */
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../client/transports/index.js';
import type { SocketIoClient } from '../client/transports/socket-io.js';
import type { FeedMessage, ResetNotice } from '../contract/index.js';
import { buildApp } from '../server/app.js';
import type { LabOptions } from '../server/config.js';
import { publish, publishMany, type Running, range, seqs, until } from './harness.js';

const running: Running[] = [];
const sockets: Socket[] = [];
const clients: SocketIoClient[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  for (const client of clients.splice(0)) client.stop();
  for (const lab of running.splice(0)) await lab.close();
});

async function lab(options: Partial<LabOptions> = {}, port = 0): Promise<Running> {
  const app = await buildApp(options);
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const started = { app, port: address.port, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
  running.push(started);
  return started;
}

/** The arguments of the next `event` on a Socket.IO socket. */
function onceEvent(socket: Socket, event: string): Promise<unknown[]> {
  return new Promise((resolve) => socket.once(event, (...args: unknown[]) => resolve(args)));
}

function socketTo(url: string, options: Parameters<typeof io>[1] = {}): Socket {
  const socket = io(url, { path: '/socket.io/', reconnection: false, forceNew: true, ...options });
  sockets.push(socket);
  return socket;
}

/** The lab's own Socket.IO client, recording what it delivers and every reset and hello. */
function labClient(url: string, id: string) {
  const client = createClient('socket.io', {
    baseUrl: url,
    clientId: id,
    resume: true,
    reconnect: { baseMs: 5, capMs: 50 },
    io: io as never,
  });
  clients.push(client);
  const received: FeedMessage[] = [];
  const resets: ResetNotice[] = [];
  const hellos: string[] = [];
  client.on('message', (message) => received.push(message));
  client.on('reset', (notice) => resets.push(notice));
  client.on('wire', (entry) => {
    if (entry.summary.startsWith('hello ')) hellos.push(entry.summary);
  });
  client.start();
  return { client, received, resets, hellos };
}

describe('emit, on, broadcast, acknowledgement', () => {
  it('every feed message reaches every socket as event "feed" with the message object', async () => {
    const server = await lab();
    const a = socketTo(server.url);
    const b = socketTo(server.url, { transports: ['websocket'] });
    const got = { a: [] as FeedMessage[], b: [] as FeedMessage[] };
    a.on('feed', (m: FeedMessage) => got.a.push(m));
    b.on('feed', (m: FeedMessage) => got.b.push(m));
    await Promise.all([onceEvent(a, 'hello'), onceEvent(b, 'hello')]);
    await publishMany(server.url, 3);
    await until(() => got.a.length === 3 && got.b.length === 3, 10_000, 'three broadcasts each');
    expect(seqs(got.a)).toEqual([1, 2, 3]);
    expect(got.b).toEqual(got.a);
    expect(got.a[0]).toMatchObject({ epoch: server.app.lab.feed.epoch, seq: 1, data: { i: 0 } });
  });

  it("emit('publish', data) publishes into the feed; emit('echo', x, ack) calls ack(x)", async () => {
    const server = await lab();
    const socket = socketTo(server.url);
    const got: FeedMessage[] = [];
    socket.on('feed', (m: FeedMessage) => got.push(m));
    await onceEvent(socket, 'hello');
    socket.emit('publish', { text: 'from socket.io' });
    await until(() => got.length === 1, 10_000, 'the published message');
    expect(got[0]?.data).toEqual({ text: 'from socket.io' });
    const echoed = await socket.timeout(5_000).emitWithAck('echo', { ping: 1 });
    expect(echoed).toEqual({ ping: 1 });
  });

  it('an unknown event is answered in-band, not silently dropped', async () => {
    const server = await lab();
    const socket = socketTo(server.url);
    await onceEvent(socket, 'hello');
    socket.emit('nonsense', 1);
    const [error] = (await onceEvent(socket, 'lab-error')) as [{ code: string }];
    expect(error.code).toBe('LAB_UNKNOWN_TYPE');
  });
});

describe('resume: Socket.IO recovery and the lab cursor', () => {
  it('a cut within the recovery window: Socket.IO recovers, nothing lost or twice', async () => {
    const server = await lab();
    const { client, received, hellos } = labClient(server.url, 'sio-short');
    await until(() => client.state === 'open', 10_000, 'connected');
    await publishMany(server.url, 3);
    await until(() => received.length === 3, 10_000, 'three');
    const cut = server.app.lab.accounting.meter.destroyWhere((who) => who.client === 'sio-short');
    expect(cut).toBeGreaterThan(0);
    await publishMany(server.url, 3); // while it is away, or just back
    await until(() => received.length >= 6, 10_000, 'six');
    await publish(server.url, { last: true });
    await until(() => received.length >= 7, 10_000, 'seven');
    expect(seqs(received)).toEqual(range(1, 7));
    expect(hellos.some((h) => h.includes('recovered: yes'))).toBe(true);
  });

  it('the same client, away past the window: Socket.IO says recovered false and the cursor fills the gap', async () => {
    const server = await lab({ socketIoRecoveryMs: 300 });
    const { client, received, hellos } = labClient(server.url, 'sio-gap');
    await until(() => client.state === 'open', 10_000, 'connected');
    await publishMany(server.url, 2);
    await until(() => received.length === 2, 10_000, 'two');
    // Keep the client away: refuse its reconnects for a while (a full server answers 503).
    server.app.lab.closing = true;
    server.app.lab.accounting.meter.destroyWhere((who) => who.client === 'sio-gap');
    await publishMany(server.url, 3);
    await new Promise((resolve) => setTimeout(resolve, 700));
    server.app.lab.closing = false;
    await until(() => received.length >= 5, 15_000, 'the gap filled');
    await publish(server.url, { last: true });
    await until(() => received.length >= 6, 10_000, 'live again');
    expect(seqs(received)).toEqual(range(1, 6));
    expect(hellos.at(-1)).toContain('recovered: no');
  });

  it('a restart: Socket.IO reports recovered false, the lab resets by epoch', async () => {
    const first = await lab();
    const { client, received, resets, hellos } = labClient(first.url, 'sio-restart');
    await until(() => client.state === 'open', 10_000, 'connected');
    await publishMany(first.url, 3);
    await until(() => received.length === 3, 10_000, 'three');
    const port = first.port;
    await first.close();
    running.splice(running.indexOf(first), 1);
    const second = await lab({}, port);
    await publishMany(second.url, 2);
    await until(() => resets.length === 1 && received.length >= 5, 15_000, 'the reset and the new epoch');
    expect(resets[0]).toEqual({ reason: 'epoch', epoch: second.app.lab.feed.epoch, from: 1 });
    expect(received.slice(3).map((m) => [m.epoch, m.seq])).toEqual([
      [second.app.lab.feed.epoch, 1],
      [second.app.lab.feed.epoch, 2],
    ]);
    expect(hellos.at(-1)).toContain('recovered: no');
  });
});

describe('origin and cors', () => {
  it('a foreign Origin is refused on the Socket.IO handshake, polling and WebSocket alike', async () => {
    const server = await lab();
    const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'http://evil.example' },
    });
    expect(polling.status).toBe(403);
    expect((await polling.json()).code).toBe('LAB_FOREIGN_ORIGIN');

    const socket = socketTo(server.url, { transports: ['websocket'], extraHeaders: { origin: 'http://evil.example' } });
    const [error] = (await onceEvent(socket, 'connect_error')) as [Error];
    expect(error.message).toMatch(/websocket error/);
    expect(socket.connected).toBe(false);
  });

  it('an allowed origin gets CORS headers from the cors option', async () => {
    const server = await lab({ allowedOrigins: ['http://classroom.example'] });
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'http://classroom.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://classroom.example');
    expect(await res.text()).toMatch(/^0\{"sid":/);
  });
});

describe('the browser client, served by the lab', () => {
  it('/socket.io/socket.io.js is socket.io-client itself, no CDN', async () => {
    const server = await lab();
    const res = await fetch(`${server.url}/socket.io/socket.io.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(await res.text()).toMatch(/Socket\.IO v4\.8\.\d+/);
    expect((await fetch(`${server.url}/socket.io/nothing.js`)).status).toBe(404);
  });
});
