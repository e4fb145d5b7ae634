/**
 * The protocol floor (contract/floor.ts) against frames computed by hand from the RFCs, against a
 * real frame built by `ws`, and against the bytes the server actually puts on the wire (captured
 * at a TCP proxy).
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, * as wsModule from 'ws';
import { chunkFramingBytes, floorOverhead, sseIdLine, wsFrameHeaderBytes } from '../../contract/floor.js';
import { at } from '../../contract/present.js';
import { startProxy } from '../../tools/tcp-proxy.js';
import { publish, type Running, startLab, until } from '../harness.js';
import { ServerSockets } from './wire.js';

/** `ws` exports its frame builder (`import { Sender } from 'ws'`); @types/ws does not declare it. */
interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/** Header bytes of the frame `ws` really builds for `length` bytes of text (the payload is the last buffer). */
function realHeaderBytes(length: number, mask: boolean): number {
  const payload = Buffer.alloc(length, 0x61);
  const buffers = Sender.frame(payload, { fin: true, rsv1: false, opcode: 1, mask, readOnly: false });
  const total = buffers.reduce((sum, b) => sum + b.length, 0);
  return total - length;
}

describe('WebSocket frame header (RFC 6455 §5.2)', () => {
  const cases = [
    // [payload length, header by hand, masked header by hand]
    [0, 2, 6],
    [1, 2, 6],
    [125, 2, 6], // 7-bit length
    [126, 4, 8], // 126 + 16-bit length
    [65_535, 4, 8],
    [65_536, 10, 14], // 127 + 64-bit length
    [1_000_000, 10, 14],
  ] as const;

  it.each(cases)('%i payload bytes: %i header bytes, %i when masked', (length, plain, masked) => {
    expect(wsFrameHeaderBytes(length)).toBe(plain);
    expect(wsFrameHeaderBytes(length, true)).toBe(masked);
    expect(realHeaderBytes(length, false)).toBe(plain);
    expect(realHeaderBytes(length, true)).toBe(masked);
  });

  it('is the websocket floor: the server→client header alone', () => {
    expect(floorOverhead('websocket', { payloadBytes: 100 })).toEqual({
      total: 2,
      parts: [{ name: expect.any(String), bytes: 2 }],
    });
    expect(floorOverhead('websocket', { payloadBytes: 126 }).total).toBe(4);
    expect(floorOverhead('websocket', { payloadBytes: 65_536 }).total).toBe(10);
  });
});

describe('HTTP/1.1 chunk framing (RFC 9112 §7.1)', () => {
  it.each([
    [1, 5], // "1\r\n" + data + "\r\n"
    [15, 5],
    [16, 6], // "10"
    [255, 6],
    [256, 7], // "100"
    [4095, 7],
    [4096, 8],
    [65_536, 9],
  ])('%i bytes of chunk data: %i bytes of framing', (size, framing) => {
    expect(chunkFramingBytes(size)).toBe(framing);
  });
});

describe('SSE floor (WHATWG HTML §9.2), by hand', () => {
  it('id line, "data: ", blank line and the chunk around the event', () => {
    // id: q7k2:1\n = 11, data: = 6, \n\n = 2; the event is 11 + 6 + 100 + 2 = 119 = 0x77 → 2 hex + 4
    const floor = floorOverhead('sse', { payloadBytes: 100, epoch: 'q7k2', seq: 1 });
    expect(floor.parts.map((p) => p.bytes)).toEqual([11, 6, 2, 6]);
    expect(floor.total).toBe(25);
    // 300 bytes: event 11 + 6 + 300 + 2 = 319 = 0x13f → 3 hex + 4; seq 1042 makes the id line 14
    expect(floorOverhead('sse', { payloadBytes: 300, epoch: 'q7k2', seq: 1 }).total).toBe(11 + 6 + 2 + 7);
    expect(floorOverhead('sse', { payloadBytes: 100, epoch: 'q7k2', seq: 1042 }).total).toBe(14 + 6 + 2 + 6);
    expect(sseIdLine('q7k2', 1042)).toBe('id: q7k2:1042\n');
  });
});

describe('poll floor (RFC 9112), by hand, amortized over the messages of one answer', () => {
  // GET /api/poll?since=0&epoch=q7k2 HTTP/1.1\r\n      43
  // Host: 127.0.0.1\r\n                               17
  // \r\n                                               2
  // HTTP/1.1 200 OK\r\n                               17
  // Content-Length: 139\r\n                           21   (envelope 39 + payload 100)
  // \r\n                                               2
  // {"epoch":"q7k2","head":1,"messages":[]}           39
  const oneMessage = 43 + 17 + 2 + 17 + 21 + 2 + 39;

  it('one message per answer pays the whole exchange', () => {
    expect(oneMessage).toBe(141);
    expect(floorOverhead('short-poll', { payloadBytes: 100, epoch: 'q7k2', seq: 1 }).total).toBe(141);
    // /api/long-poll is five bytes longer than /api/poll
    expect(floorOverhead('long-poll', { payloadBytes: 100, epoch: 'q7k2', seq: 1 }).total).toBe(146);
  });

  it('four messages per answer share it, plus a comma between messages', () => {
    // body 39 + 4×100 + 3 commas = 442: still a 3-digit Content-Length
    const floor = floorOverhead('short-poll', { payloadBytes: 100, epoch: 'q7k2', seq: 1, messagesPerResponse: 4 });
    expect(floor.total).toBeCloseTo((141 + 3) / 4, 10);
    expect(floor.parts.find((p) => p.name.startsWith('commas'))?.bytes).toBeCloseTo(3 / 4, 10);
    // more messages per answer, less floor per message
    const per = (k: number) =>
      floorOverhead('short-poll', { payloadBytes: 100, epoch: 'q7k2', seq: 1, messagesPerResponse: k }).total;
    expect(per(1)).toBeGreaterThan(per(2));
    expect(per(2)).toBeGreaterThan(per(10));
    expect(per(10)).toBeGreaterThan(1); // never below the comma
  });

  it('a fractional average of messages per answer still writes a whole Content-Length', () => {
    // body 39 + 1.5×100 + 0.5 = 189.5 → "Content-Length: 190\r\n" (21 bytes), shared by 1.5 messages
    const floor = floorOverhead('short-poll', { payloadBytes: 100, epoch: 'q7k2', seq: 1, messagesPerResponse: 1.5 });
    expect(floor.parts.find((p) => p.name === 'Content-Length header')?.bytes).toBeCloseTo(21 / 1.5, 10);
  });
});

describe('the floor against the bytes the server really sends', () => {
  let lab: Running;
  let sockets: ServerSockets;
  beforeAll(async () => {
    lab = await startLab({});
    sockets = new ServerSockets(lab.app);
  });
  afterAll(async () => {
    await lab.close();
  });

  it('SSE: each event is exactly its payload plus the floor', async () => {
    const proxy = await startProxy({ upstreamPort: lab.port, capture: true });
    try {
      const client = net.connect({ port: proxy.port, host: '127.0.0.1' });
      await once(client, 'connect');
      let received = '';
      client.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
      });
      client.write('GET /api/sse?client=floor-sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await until(() => received.includes('retry:'), 10_000, 'the stream to start');

      const payloads = [{ small: 1 }, { pad: 'é'.repeat(150) }, { pad: 'x'.repeat(5000) }];
      const published = [];
      for (const data of payloads) published.push(await publish(lab.url, data));
      await until(() => (received.match(/\ndata: /g) ?? []).length === payloads.length, 10_000, 'three events');
      client.end();
      await sockets.allClosed(proxy);

      const wire = Buffer.concat(at(proxy.connections, 0, 'proxied connections').captured.serverToClient);
      const body = wire.subarray(wire.indexOf('\r\n\r\n') + 4);
      // De-chunk, keeping each chunk's size on the wire.
      const chunks: { wireBytes: number; data: Buffer }[] = [];
      for (let offset = 0; offset < body.length; ) {
        const lineEnd = body.indexOf('\r\n', offset);
        const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16);
        if (size === 0) break;
        const data = body.subarray(lineEnd + 2, lineEnd + 2 + size);
        const end = lineEnd + 2 + size + 2;
        chunks.push({ wireBytes: end - offset, data });
        offset = end;
      }
      const events = chunks.filter((c) => c.data.toString('utf8').startsWith('id: '));
      expect(events).toHaveLength(payloads.length);
      for (const [i, event] of events.entries()) {
        const text = event.data.toString('utf8');
        const json = text.slice(text.indexOf('data: ') + 6, -2);
        const message = JSON.parse(json) as { epoch: string; seq: number };
        expect(message.seq).toBe(at(published, i, 'published').seq);
        const payloadBytes = Buffer.byteLength(json);
        const floor = floorOverhead('sse', { payloadBytes, epoch: message.epoch, seq: message.seq });
        // The server sends exactly the floor: one chunk per event, nothing else around it.
        expect(event.wireBytes - payloadBytes, `event ${i + 1}`).toBe(floor.total);
      }
    } finally {
      await proxy.close();
    }
  });

  it('WebSocket: every frame header on the wire is the one the floor computes, masked from the client', async () => {
    const proxy = await startProxy({ upstreamPort: lab.port, capture: true });
    try {
      const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/api/ws?client=floor-ws`);
      let frames = 0;
      ws.on('message', () => {
        frames += 1;
      });
      await once(ws, 'open');
      // small (7-bit length), medium (16-bit), large (64-bit: the message JSON is over 65 535 bytes)
      await publish(lab.url, { s: 1 });
      await publish(lab.url, { m: 'm'.repeat(500) });
      await publish(lab.url, 'L'.repeat(65_490));
      ws.send(JSON.stringify({ type: 'echo', pad: 'e'.repeat(200) }));
      await until(() => frames === 1 + 3 + 1, 10_000, 'hello, three messages, the echo');
      ws.close(1000);
      await once(ws, 'close');
      await sockets.allClosed(proxy);

      const parse = (buffers: Buffer[]) => {
        const all = Buffer.concat(buffers);
        let offset = all.indexOf('\r\n\r\n') + 4; // after the handshake
        const out: { opcode: number; masked: boolean; header: number; length: number }[] = [];
        while (offset < all.length) {
          const masked = (all.readUInt8(offset + 1) & 0x80) !== 0;
          let length = all.readUInt8(offset + 1) & 0x7f;
          let header = 2;
          if (length === 126) {
            length = all.readUInt16BE(offset + 2);
            header = 4;
          } else if (length === 127) {
            length = Number(all.readBigUInt64BE(offset + 2));
            header = 10;
          }
          if (masked) header += 4;
          out.push({ opcode: all.readUInt8(offset) & 0x0f, masked, header, length });
          offset += header + length;
        }
        expect(offset).toBe(all.length);
        return out;
      };
      const { captured } = at(proxy.connections, 0, 'proxied connections');
      const down = parse(captured.serverToClient);
      const up = parse(captured.clientToServer);
      expect(down.filter((f) => f.opcode === 1).map((f) => f.header)).toEqual([2, 2, 4, 10, 4]); // hello, s, m, L, echo
      for (const frame of down) {
        expect(frame.masked).toBe(false);
        expect(frame.header).toBe(wsFrameHeaderBytes(frame.length));
      }
      expect(up.length).toBeGreaterThanOrEqual(2); // the echo and the close
      for (const frame of up) {
        expect(frame.masked).toBe(true);
        expect(frame.header).toBe(wsFrameHeaderBytes(frame.length, true));
      }
      // The feed messages' overhead on the wire is exactly the floor.
      for (const frame of down.filter((f) => f.opcode === 1).slice(1, 4)) {
        expect(frame.header).toBe(floorOverhead('websocket', { payloadBytes: frame.length }).total);
      }
    } finally {
      await proxy.close();
    }
  });

  it('polls: the measured overhead of a real answer is never below the floor', async () => {
    const state = (await (await fetch(`${lab.url}/api/feed`)).json()) as { epoch: string; head: number };
    await publish(lab.url, { p: 'p'.repeat(60) });
    for (const [transport, route] of [
      ['short-poll', '/api/poll'],
      ['long-poll', '/api/long-poll'],
    ] as const) {
      const proxy = await startProxy({ upstreamPort: lab.port, capture: true });
      try {
        const client = net.connect({ port: proxy.port, host: '127.0.0.1' });
        await once(client, 'connect');
        let received = Buffer.alloc(0);
        client.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
        });
        client.write(`GET ${route}?since=${state.head}&epoch=${state.epoch} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        await until(
          () => /content-length: \d+/i.test(received.toString()) && received.toString().endsWith('}'),
          10_000,
          'the answer',
        );
        client.end();
        await sockets.allClosed(proxy);
        const body = JSON.parse(received.subarray(received.indexOf('\r\n\r\n') + 4).toString()) as {
          messages: unknown[];
        };
        expect(body.messages).toHaveLength(1);
        const payloadBytes = Buffer.byteLength(JSON.stringify(body.messages[0]));
        const measured = proxy.totals.clientToServer + proxy.totals.serverToClient - payloadBytes;
        const floor = floorOverhead(transport, { payloadBytes, epoch: state.epoch, seq: state.head + 1 });
        expect(floor.total).toBeLessThanOrEqual(measured);
        // The floor is the same exchange minus the habits (Date, Content-Type, Keep-Alive, …) and
        // the API's security headers (server/security/headers.ts: 131 bytes a poll answer).
        expect(measured - floor.total).toBeLessThan(250 + 131);
      } finally {
        await proxy.close();
      }
    }
  });
});
