/**
 * The Socket.IO CONNECT timeout (client/transports/socket-io.ts, DEFAULT_CONNECT_TIMEOUT_MS): a
 * server that completes the Engine.IO handshake but never answers the CONNECT (`40`) must not
 * leave the lab's client "connecting" in silence. It reports TIMEOUT, drops the connection,
 * retries with its cursor, and once a CONNECT is answered resumes with no gap and nothing twice.
 * Real servers on real sockets: engine.io's own server, a raw HTTP server that holds the CONNECT's
 * POST, and the lab behind a proxy that swallows the first CONNECT; a normal lab connection keeps
 * its hello-cleared timer quiet.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Server as EngineServer } from 'engine.io';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../client/transports/index.js';
import type { SocketIoClient } from '../client/transports/socket-io.js';
import type { FeedClientError, FeedClientOptions } from '../client/transports/types.js';
import type { FeedMessage } from '../contract/index.js';
import { publish, publishMany, range, seqs, startLab, until } from './harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listening(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** The lab's Socket.IO client, recording errors, deliveries and its Engine.IO handshakes. */
function labClient(baseUrl: string, extra: Partial<FeedClientOptions> = {}) {
  const client = createClient('socket.io', {
    baseUrl,
    clientId: 'sio-connect',
    resume: true,
    reconnect: { baseMs: 5, capMs: 50 },
    io: io as never,
    ...extra,
  }) as SocketIoClient;
  cleanups.push(() => client.stop());
  const errors: FeedClientError[] = [];
  const received: FeedMessage[] = [];
  let handshakes = 0;
  let hellos = 0;
  client.on('error', (error) => errors.push(error));
  client.on('message', (message) => received.push(message));
  client.on('wire', (entry) => {
    if (entry.summary.includes('(Engine.IO handshake')) handshakes += 1;
    if (entry.summary.startsWith('hello ')) hellos += 1;
  });
  client.start();
  return {
    client,
    errors,
    received,
    handshakes: () => handshakes,
    hellos: () => hellos,
    timeouts: () => errors.filter((e) => e.code === 'TIMEOUT').length,
  };
}

describe('a CONNECT that is never answered', () => {
  it('engine.io completes the handshake and takes the CONNECT, nobody answers: TIMEOUT, then a retry with the cursor', async () => {
    const httpServer = http.createServer();
    const engine = new EngineServer();
    engine.attach(httpServer, { path: '/socket.io/' });
    const connects: string[] = [];
    let opened = 0;
    engine.on('connection', (socket) => {
      opened += 1;
      socket.on('message', (data: unknown) => connects.push(String(data)));
    });
    const port = await listening(httpServer);
    cleanups.push(async () => {
      engine.close();
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    });

    const cursor = { epoch: 'etest', seq: 41 };
    const { timeouts, errors, handshakes } = labClient(`http://127.0.0.1:${port}`, {
      cursor,
      socketIoConnectTimeoutMs: 300,
    });
    await until(() => timeouts() >= 2 && connects.length >= 2, 20_000, 'two timeouts and a retried CONNECT');

    expect(errors.every((e) => e.code === 'TIMEOUT')).toBe(true);
    expect(errors[0]?.message).toMatch(/no answer to the CONNECT within 300 ms/);
    expect(opened).toBeGreaterThanOrEqual(2);
    expect(handshakes()).toBeGreaterThanOrEqual(2);
    // Every CONNECT — the first and the retries — carries the same cursor: nothing delivered, nothing skipped.
    for (const packet of connects) expect(JSON.parse(packet.slice(1))).toEqual({ since: 41, epoch: 'etest' });
  });

  it("a server that holds the CONNECT's POST unanswered: the stuck close is finished, the retry's CONNECT goes out", async () => {
    // engine.io-client's close() waits for a POST in flight to drain; this one never does.
    const connectBodies: string[] = [];
    let handshakes = 0;
    const held = new Set<http.ServerResponse>();
    const server = http.createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (request.method === 'GET' && url.searchParams.get('sid') === null) {
        handshakes += 1;
        const open = {
          sid: `s${handshakes}`,
          upgrades: [],
          pingInterval: 25_000,
          pingTimeout: 20_000,
          maxPayload: 1e6,
        };
        response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
        response.end(`0${JSON.stringify(open)}`);
        return;
      }
      // The poll and the POST: read, never answer.
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        if (request.method === 'POST') connectBodies.push(body);
      });
      held.add(response);
    });
    const port = await listening(server);
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    const { timeouts, errors } = labClient(`http://127.0.0.1:${port}`, {
      cursor: { epoch: 'eheld', seq: 7 },
      socketIoTransports: ['polling'],
      socketIoConnectTimeoutMs: 300,
    });
    const connects = () => connectBodies.filter((body) => body.startsWith('40'));
    await until(() => timeouts() >= 2 && connects().length >= 2, 20_000, 'two timeouts and a second CONNECT POST');

    expect(errors.every((e) => e.code === 'TIMEOUT')).toBe(true);
    expect(handshakes).toBeGreaterThanOrEqual(2);
    for (const body of connects()) expect(JSON.parse(body.slice(2))).toEqual({ since: 7, epoch: 'eheld' });
  });

  it('the lab behind a proxy that swallows the first CONNECT: TIMEOUT, retry, then every message once', async () => {
    const lab = await startLab();
    cleanups.push(() => lab.close());
    // A TCP relay that keeps (never forwards) the first connection starting with a POST: the CONNECT.
    let swallowed = 0;
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((downstream) => {
      sockets.add(downstream);
      downstream.once('data', (first: Buffer) => {
        if (swallowed === 0 && first.subarray(0, 5).toString() === 'POST ') {
          swallowed += 1;
          return; // held open, unread from here on: the server never hears of it
        }
        const upstream = net.connect(lab.port, '127.0.0.1');
        sockets.add(upstream);
        upstream.write(first);
        downstream.pipe(upstream).pipe(downstream);
        upstream.on('error', () => downstream.destroy());
        downstream.on('error', () => upstream.destroy());
      });
    });
    const port = await listening(relay);
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    });

    const first = await publish(lab.url, { n: 1 });
    await publishMany(lab.url, 2);
    const { received, errors, timeouts, hellos } = labClient(`http://127.0.0.1:${port}`, {
      cursor: { epoch: first.epoch, seq: 0 },
      socketIoConnectTimeoutMs: 500,
    });
    await publishMany(lab.url, 2); // while the first CONNECT is swallowed
    await until(() => hellos() >= 1, 20_000, 'a hello on a retried connection');
    await publishMany(lab.url, 2);
    await until(() => received.length >= 7, 20_000, 'seven messages');

    expect(swallowed).toBe(1);
    expect(timeouts()).toBeGreaterThanOrEqual(1);
    expect(errors.filter((e) => e.code !== 'TIMEOUT')).toEqual([]);
    expect(seqs(received)).toEqual(range(1, 7));
  });
});

describe('a CONNECT that is answered', () => {
  it('the hello clears the timer: no TIMEOUT long after it, one handshake, the feed flows', async () => {
    const lab = await startLab();
    cleanups.push(() => lab.close());
    const timeoutMs = 2_000;
    const { client, received, errors, handshakes } = labClient(lab.url, { socketIoConnectTimeoutMs: timeoutMs });
    await until(() => client.state === 'open', 20_000, 'connected');
    await new Promise((resolve) => setTimeout(resolve, timeoutMs + 500));
    await publishMany(lab.url, 3);
    await until(() => received.length >= 3, 20_000, 'three messages');

    expect(errors).toEqual([]);
    expect(handshakes()).toBe(1);
    expect(seqs(received)).toEqual(range(1, 3));
  });

  it('a bad timeout is refused when the client is made', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() =>
        createClient('socket.io', {
          baseUrl: 'http://127.0.0.1:1',
          clientId: 'sio-bad',
          resume: true,
          io: io as never,
          socketIoConnectTimeoutMs: bad,
        }),
      ).toThrow(/socketIoConnectTimeoutMs must be a positive number/);
    }
  });
});
