/**
 * Issue 11: permessage-deflate (RFC 7692) on /api/ws is accepted only with `?compress=1`, so one
 * server compares both. Bytes stay counted at the socket, to the byte, compressed or not. The
 * 64 KiB frame limit holds after inflation: a zip bomb is closed 1009 and the server's memory
 * does not follow the bomb. Clients: ws, and Python's websockets.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { decode } from '@msgpack/msgpack';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startProxy, type TcpProxy } from '../../scenarios/tcp-proxy.js';
import { startLabServer } from '../../tools/child-process.js';
import { countsOf, ServerSockets, stats } from '../accounting/wire.js';
import { publish, type Running, startLab, until } from '../harness.js';
import { pythonProbe } from './python-client.js';

let lab: Running;
let sockets: ServerSockets;
let proxy: TcpProxy | undefined;

beforeAll(async () => {
  lab = await startLab({ wsPingMs: 60_000 });
  sockets = new ServerSockets(lab.app);
});
afterAll(async () => {
  await lab.close();
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const wsUrl = (query = '') => `${lab.url.replace('http', 'ws')}/api/ws${query}`;

async function openWs(url: string, options: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, options);
  let extensionsHeader: string | undefined;
  ws.on('upgrade', (response) => {
    extensionsHeader = response.headers['sec-websocket-extensions'] as string | undefined;
  });
  const frames: string[] = [];
  ws.on('message', (raw) => frames.push(raw.toString()));
  await once(ws, 'open');
  return { ws, frames, extensionsHeader: () => extensionsHeader };
}

describe('negotiated only on compress=1', () => {
  it('ws offers permessage-deflate: declined without compress=1, accepted with it', async () => {
    const plain = await openWs(wsUrl());
    expect(plain.extensionsHeader()).toBeUndefined();
    expect(plain.ws.extensions).toBe('');
    const zero = await openWs(wsUrl('?compress=0'));
    expect(zero.extensionsHeader()).toBeUndefined();

    const compressed = await openWs(wsUrl('?compress=1&client=deflate-ws'));
    expect(compressed.extensionsHeader()).toMatch(/^permessage-deflate/);
    // The inspector's record keeps the offer as the client sent it, and the answer.
    const handshake = (await (await fetch(`${lab.url}/api/handshake?client=deflate-ws`)).json()) as {
      request: { headers: [string, string][] };
      response: { headers: [string, string][] };
    };
    const header = (list: [string, string][], name: string) =>
      list.find(([k]) => k.toLowerCase() === name)?.[1] ?? null;
    expect(header(handshake.request.headers, 'sec-websocket-extensions')).toMatch(/permessage-deflate/);
    expect(header(handshake.response.headers, 'sec-websocket-extensions')).toMatch(/^permessage-deflate/);

    const { seq } = await publish(lab.url, { text: 'same '.repeat(50) });
    await until(
      () => [plain, compressed].every((c) => c.frames.some((f) => f.includes(`"seq":${seq}`))),
      10_000,
      'the message on both',
    );
    expect(compressed.frames.at(-1)).toBe(plain.frames.at(-1));
    for (const c of [plain, zero, compressed]) c.ws.close();
  });

  it('the client’s parameters are answered: server_no_context_takeover, window bits', async () => {
    const client = await openWs(wsUrl('?compress=1'), {
      perMessageDeflate: { serverNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 },
    });
    const answer = client.extensionsHeader() ?? '';
    expect(answer).toMatch(/^permessage-deflate/);
    expect(answer).toMatch(/server_no_context_takeover/);
    expect(answer).toMatch(/server_max_window_bits=10/);
    expect(answer).toMatch(/client_max_window_bits=12/);
    client.ws.close();
  });

  it('compress=yes is a 400 before any upgrade', async () => {
    const ws = new WebSocket(wsUrl('?compress=yes'));
    ws.on('error', () => {});
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(400);
  });

  it('Python websockets: declined without compress=1, accepted with it', async () => {
    const plain = await pythonProbe(wsUrl(), 1);
    expect(plain.offeredExtensions).toMatch(/permessage-deflate/);
    expect(plain.extensions).toBeNull();
    const compressed = await pythonProbe(wsUrl('?compress=1'), 1, ['lab.v1.msgpack']);
    expect(compressed.extensions).toMatch(/^permessage-deflate/);
    expect(compressed.subprotocol).toBe('lab.v1.msgpack');
    const hello = compressed.frames[0] as { binary: string };
    expect(decode(Buffer.from(hello.binary, 'base64'))).toMatchObject({ type: 'hello' });
  });
});

describe('bytes at the socket, compressed', () => {
  it.each([
    ['lab.v1.json', 'exact-deflate-json'],
    ['lab.v1.msgpack', 'exact-deflate-msgpack'],
  ])(
    '%s with deflate: to the byte against a TCP proxy, and fewer wire bytes than payload',
    async (protocol, client) => {
      proxy = await startProxy({ upstreamPort: lab.port });
      const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/api/ws?compress=1&client=${client}`, [protocol]);
      let received = 0;
      ws.on('message', () => {
        received += 1;
      });
      await once(ws, 'open');
      expect(ws.extensions).toMatch(/permessage-deflate/);
      await until(() => received === 1, 10_000, 'hello');
      for (let n = 1; n <= 20; n++) await publish(lab.url, { n, text: 'the same words again and again '.repeat(8) });
      await until(() => received === 21, 10_000, 'twenty messages');
      ws.close(1000, 'done');
      await once(ws, 'close');
      await sockets.allClosed(proxy);

      const report = await stats(lab.url, client);
      const mine = report.transports.websocket;
      expect({ bytesIn: mine.bytesIn, bytesOut: mine.bytesOut }).toEqual({
        bytesIn: proxy.totals.clientToServer,
        bytesOut: proxy.totals.serverToClient,
      });
      expect(countsOf(mine)).toMatchObject({ requests: 1, messages: 20 });
      // Counted quantities, not timings: repetitive messages compress, so the socket carried
      // fewer bytes than the messages hold (the 101 and the frame headers included).
      expect(mine.bytesOut).toBeLessThan(mine.payloadBytes);
    },
  );
});

/** One masked client frame with RSV1 set (compressed, RFC 7692 §6), written straight on the socket. */
function compressedFrame(inflatedBytes: number): Buffer {
  // RFC 7692 §7.2.1: the sender removes the 00 00 ff ff tail of a sync flush.
  const body = deflateRawSync(Buffer.alloc(inflatedBytes), { finishFlush: 2 /* Z_SYNC_FLUSH */ }).subarray(0, -4);
  if (body.length > 0xffff) throw new Error('bomb too big for a 16-bit length');
  const header = Buffer.from([0x80 | 0x40 | 0x02, 0x80 | 126, body.length >> 8, body.length & 0xff, 0, 0, 0, 0]);
  return Buffer.concat([header, body]); // mask key 0: the payload is its own masked form
}

/** Peak resident memory of a process (VmHWM), bytes. */
function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error('no VmHWM');
  return Number(match[1]) * 1024;
}

describe('a zip bomb', () => {
  it('is closed 1009 after inflating no more than the limit, and the server’s peak memory barely moves', async () => {
    const server = await startLabServer();
    try {
      const pid = server.pid;
      const INFLATED = 48 * 1024 * 1024; // ~47 KB compressed: under the 64 KiB frame limit as sent
      const bomb = compressedFrame(INFLATED);
      expect(bomb.length).toBeLessThan(64 * 1024);
      // Warm the server up first (a connection, a compressed message), so the baseline is fair.
      const warm = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws?compress=1`);
      await once(warm, 'open');
      warm.send(JSON.stringify({ type: 'echo', pad: 'x'.repeat(1000) }));
      await once(warm, 'message');
      await once(warm, 'message');
      warm.close();
      const before = peakRss(pid);
      for (let i = 0; i < 4; i++) {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws?compress=1`);
        ws.on('error', () => {});
        await once(ws, 'open');
        expect(ws.extensions).toMatch(/permessage-deflate/);
        (ws as unknown as { _socket: Socket })._socket.write(bomb);
        const [code] = (await once(ws, 'close')) as [number];
        expect(code).toBe(1009);
      }
      const grown = peakRss(pid) - before;
      // Unbounded, each bomb would have held 48 MiB at once; ws stops at 64 KiB (plus zlib's chunks).
      expect(grown).toBeLessThan(16 * 1024 * 1024);
      // And the server still serves.
      const after = await fetch(`${server.url}/api/feed`);
      expect(after.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
