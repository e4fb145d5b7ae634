/**
 * The hard cases of wire accounting: pipelined requests of two clients on one socket, streams
 * cut while the server still has bytes queued for them, and peers that reset the connection.
 * What the server reports must still be what a TCP proxy saw (where the proxy can see it all),
 * and the counters must never go backwards.
 */
import { once } from 'node:events';
import net, { type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { at } from '../../contract/present.js';
import { startProxy, type TcpProxy } from '../../tools/tcp-proxy.js';
import { publish, type Running, startLab, until } from '../harness.js';
import { ServerSockets, stats } from './wire.js';

let lab: Running;
let sockets: ServerSockets;
let proxy: TcpProxy;

beforeAll(async () => {
  // Small retention: these tests publish megabytes. The slow-consumer bound is 256 KiB.
  lab = await startLab({ retention: 64, slowConsumerBytes: 256 * 1024 });
  sockets = new ServerSockets(lab.app);
});
afterAll(async () => {
  await lab.close();
});
afterEach(async () => {
  await proxy?.close();
});

/** A raw TCP client: writes exactly the bytes given, keeps every byte received. */
class RawClient {
  readonly received: Buffer[] = [];
  ended = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.received.push(chunk));
    socket.on('end', () => {
      this.ended = true;
      socket.end();
    });
    socket.on('error', () => {});
  }
  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    return new RawClient(socket);
  }
  get text(): string {
    return Buffer.concat(this.received).toString('latin1');
  }
  /** Complete HTTP responses received so far (Content-Length bodies), as raw byte lengths and bodies. */
  responses(): { bytes: number; body: string }[] {
    const all = Buffer.concat(this.received);
    const out: { bytes: number; body: string }[] = [];
    let offset = 0;
    for (;;) {
      const headEnd = all.indexOf('\r\n\r\n', offset, 'latin1');
      if (headEnd < 0) break;
      const head = all.subarray(offset, headEnd).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
      const end = headEnd + 4 + length;
      if (!Number.isFinite(length) || end > all.length) break;
      out.push({ bytes: end - offset, body: all.subarray(headEnd + 4, end).toString('utf8') });
      offset = end;
    }
    return out;
  }
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

describe('pipelined requests of two clients on one socket', () => {
  it('bills each response to its own request, though the second is answered while the first is held', async () => {
    proxy = await startProxy({ upstreamPort: lab.port });
    const raw = await RawClient.connect(proxy.port);
    const { head } = (await (await fetch(`${lab.url}/api/feed`)).json()) as { head: number };

    const first = get(`/api/long-poll?client=pipe-b&since=${head}&timeout=10000`);
    raw.socket.write(first);
    await until(
      () => lab.app.lab.accounting.ledger.read('pipe-b')['long-poll'].connections === 1,
      10_000,
      'the long poll to be held',
    );
    // Pipelined: sent before the first answer. Node answers it at once, but queues the answer
    // behind the held one (responses go out in request order).
    const second = get('/api/poll?client=pipe-a');
    raw.socket.write(second);
    await until(
      () => lab.app.lab.accounting.ledger.read('pipe-a')['short-poll'].requests === 1,
      10_000,
      'the poll to be begun',
    );
    expect(raw.received).toHaveLength(0);

    await publish(lab.url, { n: 1 });
    await until(() => raw.responses().length === 2, 10_000, 'both answers');
    const answers = raw.responses();
    const heldAnswer = at(answers, 0, 'answers');
    const pollAnswer = at(answers, 1, 'answers');
    expect(JSON.parse(heldAnswer.body).messages).toHaveLength(1);
    expect(JSON.parse(pollAnswer.body).messages).toHaveLength(0);

    raw.socket.end();
    await sockets.allClosed(proxy);
    expect(heldAnswer.bytes + pollAnswer.bytes).toBe(proxy.totals.serverToClient);

    const [a, b] = await Promise.all([stats(lab.url, 'pipe-a'), stats(lab.url, 'pipe-b')]);
    expect(b.transports['long-poll']).toMatchObject({
      requests: 1,
      messages: 1,
      bytesIn: first.length,
      bytesOut: heldAnswer.bytes,
    });
    expect(a.transports['short-poll']).toMatchObject({
      requests: 1,
      emptyResponses: 1,
      bytesIn: second.length,
      bytesOut: pollAnswer.bytes,
    });
  });
});

/** Publish big messages until `done()` (checked after each publish), at most `max` of them. */
async function publishUntil(done: () => boolean | Promise<boolean>, bytes: number, max = 2_000): Promise<number> {
  for (let n = 1; n <= max; n++) {
    await publish(lab.url, { n, pad: 'x'.repeat(bytes) });
    if (await done()) return n;
  }
  throw new Error(`still not done after ${max} publishes`);
}

describe('a stream cut while the server still has bytes queued for it', () => {
  it('sse slow consumer: the server cuts it; it is billed only what left, to the byte', async () => {
    proxy = await startProxy({ upstreamPort: lab.port });
    const raw = await RawClient.connect(proxy.port);
    raw.socket.pause(); // a consumer that does not read: everything backs up to the server
    const request = get('/api/sse?client=slow-sse');
    raw.socket.write(request);
    await until(
      () => lab.app.lab.accounting.ledger.read('slow-sse').sse.connections === 1,
      10_000,
      'the stream to open',
    );

    // Fill the kernel buffers on both hops, then the server's own queue, until it cuts the stream.
    await publishUntil(() => lab.app.lab.accounting.ledger.read('slow-sse').sse.connections === 0, 60_000);
    const report = await stats(lab.url, 'slow-sse');
    // The server had more than the bound queued when it cut: those bytes never left.
    expect(report.transports.sse.bytesOut).toBeLessThan(report.transports.sse.payloadBytes);

    raw.socket.resume(); // now read what did leave
    await sockets.allClosed(proxy);
    expect(raw.ended).toBe(true);
    const after = await stats(lab.url, 'slow-sse');
    expect(after.transports.sse.bytesIn).toBe(request.length);
    expect(after.transports.sse.bytesOut).toBe(proxy.totals.serverToClient);
  });

  it('websocket cut by the lab’s fault button: billed only what left, to the byte', async () => {
    proxy = await startProxy({ upstreamPort: lab.port });
    const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/api/ws?client=cut-ws`);
    ws.on('error', () => {});
    let frames = 0;
    ws.on('message', () => {
      frames += 1;
    });
    await once(ws, 'open');
    await until(() => frames === 1, 10_000, 'hello');
    const clientSocket = (ws as unknown as { _socket: Socket })._socket;
    clientSocket.pause();
    const serverSocket = () => sockets.socket(at(proxy.connections, 0, 'proxied connections').upstreamPort);

    // Back up until the server holds a queue of its own (below the slow-consumer bound), then cut.
    await publishUntil(() => (serverSocket()?.writableLength ?? 0) > 40_000, 20_000);
    const cut = await fetch(`${lab.url}/api/clients/cut-ws/cut?transport=websocket`, { method: 'POST' });
    expect(((await cut.json()) as { socketsCut: number }).socketsCut).toBe(1);

    clientSocket.resume();
    await once(ws, 'close');
    await sockets.allClosed(proxy);
    const report = await stats(lab.url, 'cut-ws');
    expect(report.transports.websocket.bytesIn).toBe(proxy.totals.clientToServer);
    expect(report.transports.websocket.bytesOut).toBe(proxy.totals.serverToClient);
    expect(report.transports.websocket.connections).toBe(0);
  });
});

describe('a peer that resets the connection with bytes still queued for it', () => {
  it('never makes a counter go backwards, and /metrics keeps answering', async () => {
    const big = await startLab({ retention: 64, slowConsumerBytes: 64 * 1024 * 1024 });
    const bigSockets = new ServerSockets(big.app);
    const p = await startProxy({ upstreamPort: big.port });
    try {
      const raw = await RawClient.connect(p.port);
      raw.socket.pause();
      raw.socket.write(get('/api/sse?client=reset-sse'));
      await until(
        () => big.app.lab.accounting.ledger.read('reset-sse').sse.connections === 1,
        10_000,
        'the stream to open',
      );
      const serverSocket = () => bigSockets.socket(at(p.connections, 0, 'proxied connections').upstreamPort);
      for (let n = 0; (serverSocket()?.writableLength ?? 0) < 512 * 1024; n++) {
        if (n > 2_000) throw new Error('the server never queued anything');
        await publish(big.url, { n, pad: 'r'.repeat(60_000) });
      }

      // Read the counters (and scrape) while half a megabyte waits in the server's queue…
      const before = (await stats(big.url, 'reset-sse')).transports.sse.bytesOut;
      expect((await fetch(`${big.url}/metrics`)).status).toBe(200);
      // …then the proxy drops both sides: its unread data makes the kernel answer with a reset.
      p.destroyAll();
      await bigSockets.allClosed(p);

      const after = (await stats(big.url, 'reset-sse')).transports.sse.bytesOut;
      expect(after).toBeGreaterThanOrEqual(before);
      // The server never bills more than it handed to the kernel, and the proxy read part of that.
      expect(after).toBeGreaterThanOrEqual(p.totals.serverToClient);
      const metrics = await fetch(`${big.url}/metrics`);
      expect(metrics.status).toBe(200);
      const line = (await metrics.text()).split('\n').find((l) => l.startsWith('lab_bytes_out_total{transport="sse"}'));
      expect(Number(line?.split(' ')[1])).toBe((await stats(big.url)).transports.sse.bytesOut);
    } finally {
      await p.close();
      await big.close();
    }
  });
});
