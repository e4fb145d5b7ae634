/**
 * Socket.IO, the fifth transport, with real socket.io-client 4.8 clients: the notes' emit/on,
 * broadcast, acknowledgement and cors; resume through Socket.IO's connection-state recovery and
 * through the lab's cursor, and where recovery gives up (a long gap, a restart) while the cursor
 * does not; the browser client served by the lab; the slow-consumer cut; the classroom `name=`.
 */
import type { IncomingMessage } from 'node:http';
import type net from 'node:net';
import { NodeXHR } from 'engine.io-client';
import { EventSource } from 'eventsource';
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

describe('a slow consumer', () => {
  it('a reader that stops reading is cut with 4001 while a reading one is not; recovery then replays the rest', async () => {
    const server = await lab({ slowConsumerBytes: 64 * 1024 });
    const { feed, accounting } = server.app.lab;
    const slow = socketTo(server.url, { transports: ['websocket'] });
    const reader = socketTo(server.url, { transports: ['websocket'] });
    const got = { slow: [] as FeedMessage[], reader: [] as FeedMessage[] };
    slow.on('feed', (m: FeedMessage) => got.slow.push(m));
    reader.on('feed', (m: FeedMessage) => got.reader.push(m));
    await Promise.all([onceEvent(slow, 'hello'), onceEvent(reader, 'hello')]);
    // Stop reading at the TCP socket under the client's WebSocket: the kernel's buffers fill, then
    // Engine.IO's writeBuffer on the server grows past the bound.
    const tcp = (slow.io.engine.transport as unknown as { ws: { _socket: net.Socket } }).ws._socket;
    tcp.pause();
    const disconnected = onceEvent(slow, 'disconnect');
    const big = 'z'.repeat(32 * 1024);
    // One publish per turn of the event loop, as the ticker does: a reading client keeps up.
    for (let i = 0; i < 1_500 && accounting.openStreams === 2; i++) {
      feed.publish({ big, i });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(accounting.openStreams, 'the server let the paused client go').toBe(1);
    const cutAt = feed.head;
    tcp.resume();
    const [reason, details] = (await disconnected) as [string, { context?: { code?: number; reason?: unknown } }];
    expect(reason).toBe('transport close');
    expect(details.context?.code).toBe(4001);
    expect(String(details.context?.reason)).toMatch(/slow consumer/);
    // What arrived before the cut is a gapless start of the feed.
    expect(seqs(got.slow)).toEqual(range(1, got.slow.length));
    expect(got.slow.length).toBeLessThan(cutAt);
    // The reading client was never cut and has everything.
    await until(() => got.reader.length === cutAt, 20_000, 'the reading client has every message');
    expect(seqs(got.reader)).toEqual(range(1, cutAt));
    // Back within the recovery window: Socket.IO replays what the cut discarded, nothing twice.
    const hello = onceEvent(slow, 'hello');
    slow.connect();
    const [greeting] = (await hello) as [{ recovered: boolean }];
    expect(greeting.recovered).toBe(true);
    await until(() => got.slow.length === cutAt, 20_000, 'the recovered client has every message');
    expect(seqs(got.slow)).toEqual(range(1, cutAt));
  });
  it("a catch-up waiting longer than the grace period for a slow client's next poll is not a slow consumer", async () => {
    const server = await lab({ slowConsumerBytes: 64 * 1024 });
    const big = 'c'.repeat(32 * 1024);
    for (let i = 0; i < 40; i++) server.app.lab.feed.publish({ big, i });
    // A busy client: each long poll after the handshake is sent 1.5 s late (past the 1 s grace), so
    // the cursor's 1.3 MB catch-up waits in Engine.IO's buffer with nothing taken that long.
    let polls = 0;
    class LatePolls extends NodeXHR {
      override doPoll() {
        polls += 1;
        if (polls === 1) return super.doPoll();
        setTimeout(() => super.doPoll(), 1_500);
      }
    }
    const socket = socketTo(server.url, { transports: [LatePolls as never], auth: { since: 0 } });
    const got: FeedMessage[] = [];
    const disconnects: string[] = [];
    socket.on('feed', (m: FeedMessage) => got.push(m));
    socket.on('disconnect', (reason) => disconnects.push(reason));
    await until(() => got.length === 40 || disconnects.length > 0, 20_000, 'the whole catch-up (or a cut)');
    expect(disconnects).toEqual([]);
    server.app.lab.feed.publish({ live: 1 });
    await until(() => got.length === 41 || disconnects.length > 0, 20_000, 'a live message after it');
    expect(disconnects).toEqual([]);
    expect(seqs(got)).toEqual(range(1, 41));
  });
  it('a catch-up larger than the bound, sent at once to a reading client, is not a slow consumer', async () => {
    const server = await lab({ slowConsumerBytes: 64 * 1024 });
    const big = 'c'.repeat(32 * 1024);
    for (let i = 0; i < 40; i++) server.app.lab.feed.publish({ big, i });
    // The cursor's backlog: 40 × 32 KiB queued in one turn, twenty times the bound.
    const socket = socketTo(server.url, { transports: ['websocket'], auth: { since: 0 } });
    const got: FeedMessage[] = [];
    socket.on('feed', (m: FeedMessage) => got.push(m));
    await until(() => got.length === 40, 20_000, 'the whole catch-up');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the grace period
    expect(socket.connected).toBe(true);
    expect(seqs(got)).toEqual(range(1, 40));
  });
});

describe('a classroom name', () => {
  it("the lab's Socket.IO client sends name= beside client= on its handshake, as the other lanes' URLs do", async () => {
    const server = await lab();
    const urls: string[] = [];
    server.app.server.prependListener('request', (request: IncomingMessage) => urls.push(request.url ?? ''));
    server.app.server.prependListener('upgrade', (request: IncomingMessage) => urls.push(request.url ?? ''));
    for (const transport of ['sse', 'socket.io'] as const) {
      const client = createClient(transport, {
        baseUrl: server.url,
        clientId: `ada-${transport}`,
        name: 'Ada Lovelace',
        resume: true,
        EventSource,
        io: io as never,
      });
      client.start();
      await until(() => client.state === 'open', 10_000, `${transport} open`);
      client.stop();
    }
    const query = (path: string) =>
      urls.filter((u) => u.startsWith(path)).map((u) => new URL(u, server.url).searchParams);
    const sse = query('/api/sse');
    // Engine.IO's handshake is the request without a sid; every later poll and the upgrade carry it too.
    const socketIo = query('/socket.io/');
    expect(sse.length).toBeGreaterThan(0);
    expect(socketIo.length).toBeGreaterThan(0);
    for (const params of [...sse, ...socketIo]) {
      expect(params.get('name')).toBe('Ada Lovelace');
      expect(params.get('client')).toMatch(/^ada-(sse|socket\.io)$/);
    }
    expect(socketIo.some((p) => p.get('sid') === null)).toBe(true);
  });
});
