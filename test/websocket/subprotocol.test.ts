/**
 * Issue 11: subprotocol negotiation on /api/ws is real (RFC 6455 §4.2.2). The server answers only
 * a subprotocol it speaks, picked by its own preference (contract WS_SUBPROTOCOLS); an offer of
 * nothing it speaks gets no header and still a working connection (JSON frames). Under
 * lab.v1.msgpack every frame is binary MessagePack of the same message the JSON lane carries, and
 * the accounting stays byte-exact against a TCP proxy. Clients: ws, and Python's websockets.
 */
import { once } from 'node:events';
import { decode, encode } from '@msgpack/msgpack';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type FeedMessage, WS_SUBPROTOCOLS } from '../../contract/index.js';
import { startProxy, type TcpProxy } from '../../scenarios/tcp-proxy.js';
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

/** Opens a ws client offering `protocols`, collecting every frame decoded by its kind. */
async function openWs(protocols: string[] | undefined, url = wsUrl()) {
  const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
  const frames: { binary: boolean; value: Record<string, unknown> }[] = [];
  let protocolHeader: string | undefined;
  ws.on('upgrade', (response) => {
    const header = response.headers['sec-websocket-protocol'];
    protocolHeader = Array.isArray(header) ? header.join(',') : header;
  });
  ws.on('message', (raw: Buffer, isBinary) => {
    const value = (isBinary ? decode(raw) : JSON.parse(raw.toString())) as Record<string, unknown>;
    frames.push({ binary: isBinary, value });
  });
  await once(ws, 'open');
  await until(() => frames.length > 0, 10_000, 'hello');
  return { ws, frames, protocolHeader: () => protocolHeader };
}

describe('the server answers only what it speaks, by its own preference', () => {
  it('ws offering an unknown subprotocol: a 101 with no Sec-WebSocket-Protocol, which ws itself then refuses', async () => {
    // The server is right (RFC 6455 §4.2.2: answer none); strict clients — ws, and browsers —
    // then fail the connection themselves. Python's websockets accepts it (next test).
    const ws = new WebSocket(wsUrl(), ['totally-made-up']);
    const upgrade = once(ws, 'upgrade') as Promise<[{ statusCode: number; headers: Record<string, unknown> }]>;
    const failed = once(ws, 'error') as Promise<[Error]>;
    const [response] = await upgrade;
    expect(response.statusCode).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    const [error] = await failed;
    expect(error.message).toBe('Server sent no subprotocol');
  });

  it('ws offering no subprotocol at all: no header, JSON frames', async () => {
    const client = await openWs(undefined);
    expect(client.protocolHeader()).toBeUndefined();
    expect(client.ws.protocol).toBe('');
    expect(client.frames[0]).toMatchObject({ binary: false, value: { type: 'hello' } });
    const { seq } = await publish(lab.url, { n: 'plain' });
    await until(() => client.frames.some((f) => f.value.seq === seq), 10_000, 'the message');
    client.ws.close();
  });

  it('Python websockets offering an unknown subprotocol: no header, the connection works', async () => {
    const answer = await pythonProbe(wsUrl(), 2, ['totally-made-up'], { send: '{"type":"echo","id":"py"}' });
    expect(answer.protocolHeader).toBeNull();
    expect(answer.subprotocol).toBeNull();
    expect(JSON.parse((answer.frames[0] as { text: string }).text)).toMatchObject({ type: 'hello' });
    expect(answer.frames[1]).toEqual({ text: '{"type":"echo","id":"py"}' });
  });

  it.each([
    [['lab.v1.json'], 'lab.v1.json'],
    [['lab.v1.msgpack'], 'lab.v1.msgpack'],
    [['lab.v1.json', 'lab.v1.msgpack'], WS_SUBPROTOCOLS[0]],
    [['lab.v1.msgpack', 'lab.v1.json'], WS_SUBPROTOCOLS[0]],
    [['chat', 'lab.v1.json', 'superchat'], 'lab.v1.json'],
  ])('ws offering %j gets %s', async (offer, expected) => {
    const client = await openWs(offer);
    expect(client.protocolHeader()).toBe(expected);
    expect(client.frames[0]?.binary).toBe(expected === 'lab.v1.msgpack');
    client.ws.close();
  });

  it('the server’s preference wins over the client’s order, for Python too', async () => {
    expect(WS_SUBPROTOCOLS[0]).toBe('lab.v1.msgpack');
    const answer = await pythonProbe(wsUrl(), 1, ['lab.v1.json', 'lab.v1.msgpack']);
    expect(answer.subprotocol).toBe('lab.v1.msgpack');
    const hello = answer.frames[0] as { binary: string };
    expect(decode(Buffer.from(hello.binary, 'base64'))).toMatchObject({ type: 'hello' });
    const json = await pythonProbe(wsUrl(), 1, ['superchat', 'lab.v1.json']);
    expect(json.subprotocol).toBe('lab.v1.json');
  });
});

describe('lab.v1.msgpack carries the same messages as binary frames', () => {
  it('a msgpack and a json client receive the same messages; control frames work both ways', async () => {
    const json = await openWs(['lab.v1.json']);
    const packed = await openWs(['lab.v1.msgpack']);
    const data = [{ n: 1 }, { text: 'ünïcødé', nested: { list: [1, 2.5, null, true] } }, 'a bare string', 42];
    for (const d of data) await publish(lab.url, d);
    const feed = (c: typeof json) => c.frames.filter((f) => !('type' in f.value));
    await until(() => feed(json).length === 4 && feed(packed).length === 4, 10_000, 'four messages on both');
    expect(feed(packed).every((f) => f.binary)).toBe(true);
    expect(feed(json).every((f) => !f.binary)).toBe(true);
    expect(feed(packed).map((f) => f.value)).toEqual(feed(json).map((f) => f.value));
    expect((feed(packed).map((f) => f.value) as unknown as FeedMessage[]).map((m) => m.data)).toEqual(data);

    // publish and echo as MessagePack frames; a text frame under msgpack is refused in-band.
    packed.ws.send(encode({ type: 'echo', id: 'e1', payload: [1, 'two'] }));
    await until(() => packed.frames.some((f) => f.value.type === 'echo'), 10_000, 'the echo');
    expect(packed.frames.find((f) => f.value.type === 'echo')).toEqual({
      binary: true,
      value: { type: 'echo', id: 'e1', payload: [1, 'two'] },
    });
    packed.ws.send(encode({ type: 'publish', data: { from: 'msgpack' } }));
    await until(
      () => feed(json).some((f) => (f.value.data as { from?: string })?.from === 'msgpack'),
      10_000,
      'publish',
    );
    packed.ws.send(JSON.stringify({ type: 'echo' }));
    await until(() => packed.frames.some((f) => f.value.type === 'error'), 10_000, 'the error frame');
    expect(packed.frames.find((f) => f.value.type === 'error')?.value.code).toBe('LAB_BAD_FRAME');
    json.ws.close();
    packed.ws.close();
  });

  it('msgpack bytes are counted to the byte against a TCP proxy, payload = the MessagePack bytes', async () => {
    proxy = await startProxy({ upstreamPort: lab.port });
    const client = 'exact-msgpack';
    const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/api/ws?client=${client}`, ['lab.v1.msgpack']);
    const payloads: Buffer[] = [];
    ws.on('message', (raw: Buffer) => {
      if (!('type' in (decode(raw) as object))) payloads.push(raw);
    });
    await once(ws, 'open');
    for (let n = 1; n <= 3; n++) await publish(lab.url, { n, pad: 'y'.repeat(n * 70) }); // 126+ byte frames too
    await until(() => payloads.length === 3, 10_000, 'three messages');
    ws.send(encode({ type: 'echo', pad: 'z'.repeat(300) }));
    await new Promise((resolve) => ws.once('message', resolve));
    ws.close(1000, 'done');
    await once(ws, 'close');
    await sockets.allClosed(proxy);

    const report = await stats(lab.url, client);
    const mine = report.transports.websocket;
    expect({ bytesIn: mine.bytesIn, bytesOut: mine.bytesOut }).toEqual({
      bytesIn: proxy.totals.clientToServer,
      bytesOut: proxy.totals.serverToClient,
    });
    expect(countsOf(mine)).toMatchObject({
      requests: 1,
      messages: 3,
      payloadBytes: payloads.reduce((sum, p) => sum + p.byteLength, 0),
    });
  });
});
