/**
 * Bad input gets its documented answer, costs a bounded amount, and loses nothing: a witness
 * WebSocket client keeps receiving the feed, gap-free, through every abuse in this file.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { at } from '../contract/present.js';
import { publish, type Running, SseProbe, seqs, startLab, until, WsProbe } from './harness.js';

let lab: Running;
let witness: WsProbe;

beforeAll(async () => {
  lab = await startLab({
    rate: 50,
    running: true,
    wsFramesPerSecond: 20,
    headersTimeoutMs: 500,
    requestTimeoutMs: 1_000,
  });
  witness = await WsProbe.open(lab.url, '?client=witness');
});

afterAll(async () => {
  // The witness saw a contiguous run of seqs, from its first to the head, nothing twice.
  const received = seqs(witness.messages());
  expect(received.length).toBeGreaterThan(10);
  const first = at(received, 0, "the witness's seqs");
  expect(received).toEqual(received.map((_, i) => first + i));
  expect(witness.closeCode).toBeNull();
  witness.ws.close();
  await lab.close();
});

async function status(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${lab.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

describe('query parameters', () => {
  it.each(['-1', '60001', 'abc', '1e3', ''])('long-poll timeout=%j: 400 LAB_BAD_TIMEOUT', async (timeout) => {
    const { status: code, body } = await status(`/api/long-poll?timeout=${timeout}`);
    expect(code).toBe(400);
    expect(body.code).toBe('LAB_BAD_TIMEOUT');
    expect(body.message).toMatch(/timeout must be a whole number within 0…60000/);
  });

  it('a since given twice is refused, not guessed', async () => {
    expect((await status('/api/poll?since=1&since=2')).status).toBe(400);
  });

  it('the query schema (server/query.ts) answers with the lab’s own codes and names the field', async () => {
    const twice = await status('/api/poll?since=1&since=2');
    expect([twice.body.code, twice.body.message]).toEqual([
      'LAB_BAD_QUERY',
      'Bad request: since is given more than once',
    ]);
    const since = await status('/api/long-poll?since=1e3');
    expect(since.status).toBe(400);
    expect(since.body.code).toBe('LAB_BAD_CURSOR');
    expect(since.body.message).toBe(
      'Bad cursor: since must be a whole number of 1 to 15 digits (^[0-9]{1,15}$), got "1e3"',
    );
    const client = await status('/api/stats?client=%3Cb%3E');
    expect([client.status, client.body.code]).toEqual([400, 'LAB_BAD_QUERY']);
    expect(client.body.message).toMatch(/^Bad request: client must match .*, got "<b>"$/);
  });

  it('a malformed client id is refused', async () => {
    expect((await status('/api/poll?client=%3Cscript%3E')).status).toBe(400);
  });

  it('the bounded whole numbers are schema bounds (server/query.ts) with their documented codes', async () => {
    const answers = await Promise.all(
      [
        '/api/poll?limit=10001',
        '/api/long-poll?limit=0x10',
        '/api/long-poll?timeout=5&timeout=6',
        '/api/stats/stream?interval=99',
      ].map((path) => status(path)),
    );
    expect(answers.map((a) => [a.status, a.body.code, a.body.message])).toEqual([
      [400, 'LAB_BAD_QUERY', 'Bad request: limit must be a whole number within 1…10000, got "10001"'],
      [400, 'LAB_BAD_QUERY', 'Bad request: limit must be a whole number within 1…10000, got "0x10"'],
      [400, 'LAB_BAD_QUERY', 'Bad request: timeout is given more than once'],
      [400, 'LAB_BAD_QUERY', 'Bad request: interval must be a whole number within 100…10000, got "99"'],
    ]);
  });

  it('a cut names a real client and transport, or gets LAB_BAD_QUERY', async () => {
    const cut = (path: string) => status(path, { method: 'POST' });
    const [client, transport, ok] = await Promise.all([
      cut('/api/clients/%3Cb%3E/cut'),
      cut('/api/clients/nobody/cut?transport=carrier-pigeon'),
      cut('/api/clients/nobody/cut?transport=sse'),
    ]);
    expect([client.status, client.body.code]).toEqual([400, 'LAB_BAD_QUERY']);
    expect(client.body.message).toMatch(/^Bad request: client must match .*, got "<b>"$/);
    expect([transport.status, transport.body.code]).toEqual([400, 'LAB_BAD_QUERY']);
    expect(transport.body.message).toBe(
      'Bad request: transport must be one of short-poll, long-poll, sse, websocket, socket.io, got "carrier-pigeon"',
    );
    expect([ok.status, ok.body]).toEqual([200, { client: 'nobody', transport: 'sse', socketsCut: 0 }]);
  });

  it('poll limit bounds the answer and stays in range', async () => {
    expect((await status('/api/poll?limit=0')).status).toBe(400);
    const { body } = await status('/api/poll?since=0&limit=2');
    expect((body.messages as unknown[]).length).toBe(2);
  });
});

describe('WebSocket abuse', () => {
  it('an upgrade from a foreign Origin is answered 403 and never upgraded', async () => {
    const ws = new WebSocket(`${lab.url.replace('http', 'ws')}/api/ws`, { origin: 'http://evil.example' });
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(403);
    ws.on('error', () => {});
  });

  it('the same-origin upgrade is accepted', async () => {
    const probe = await WsProbe.open(lab.url, '', { origin: lab.url });
    await until(() => probe.controls('hello').length === 1, 2_000, 'hello');
    probe.ws.close();
  });

  it('a frame over 64 KiB closes 1009', async () => {
    const probe = await WsProbe.open(lab.url);
    probe.ws.send(JSON.stringify({ type: 'echo', pad: 'x'.repeat(65 * 1024) }));
    expect(await probe.closed()).toBe(1009);
  });

  it('invalid JSON, a binary frame and an unknown type get error frames; the connection stays', async () => {
    const probe = await WsProbe.open(lab.url);
    probe.ws.send('{not json');
    probe.ws.send(Buffer.from([1, 2, 3]));
    probe.ws.send(JSON.stringify({ type: 'subscribe' }));
    await until(() => probe.controls('error').length === 3, 2_000, 'error frames');
    expect(probe.controls('error').map((f) => f.code)).toEqual(['LAB_BAD_FRAME', 'LAB_BAD_FRAME', 'LAB_UNKNOWN_TYPE']);
    probe.ws.send(JSON.stringify({ type: 'echo', n: 7 }));
    await until(() => probe.controls('echo').length === 1, 2_000, 'echo');
    expect(probe.controls('echo')[0]).toEqual({ type: 'echo', n: 7 });
    expect(probe.closeCode).toBeNull();
    probe.ws.close();
  });

  it('a flood of frames closes 4429', async () => {
    const probe = await WsProbe.open(lab.url);
    for (let i = 0; i < 200; i++) probe.ws.send(JSON.stringify({ type: 'echo', i }));
    expect(await probe.closed()).toBe(4429);
    // The budget (20/s, bursts of 40) let the first frames through.
    expect(probe.controls('echo').length).toBeGreaterThanOrEqual(30);
  });

  it('publish frames go into the feed for every transport', async () => {
    const probe = await WsProbe.open(lab.url);
    probe.ws.send(JSON.stringify({ type: 'publish', data: { chat: 'hello from ws' } }));
    await until(
      () => witness.messages().some((m) => (m.data as { chat?: string }).chat === 'hello from ws'),
      3_000,
      'chat',
    );
    probe.ws.close();
  });
});

describe('HTTP bodies', () => {
  it('a POST body over 64 KiB is 413', async () => {
    const body = JSON.stringify({ data: 'x'.repeat(70 * 1024) });
    const { status: code, body: error } = await status('/api/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(code).toBe(413);
    expect(error.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
  });

  it('a non-JSON content type is 415', async () => {
    const { status: code } = await status('/api/publish', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'data=1',
    });
    expect(code).toBe(415);
  });

  it('a body without data is 400', async () => {
    const { status: code } = await status('/api/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"nodata":1}',
    });
    expect(code).toBe(400);
  });

  it('a publish from a foreign Origin is 403', async () => {
    const { status: code, body } = await status('/api/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: '{"data":1}',
    });
    expect(code).toBe(403);
    expect(body.code).toBe('LAB_FOREIGN_ORIGIN');
  });

  it('bad feed settings are 400 with the reason', async () => {
    const put = (body: unknown) =>
      status('/api/feed', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put({ rate: -1 })).status).toBe(400);
    expect((await put({ payloadBytes: 10 })).body.message).toMatch(/payloadBytes must be/);
    expect((await put({ color: 'red' })).body.message).toMatch(/unknown field color/);
  });
});

describe('payloads that try to break the framing', () => {
  it('CR, LF and "\\n\\nevent: x" inside data arrive as exactly one SSE event with the same data', async () => {
    const sse = new SseProbe(lab.url, '?client=framing');
    await once(sse.es, 'open');
    const data = { text: 'line1\nline2\r\nline3\r', sneaky: '\n\nevent: x\ndata: injected\n\n', id: 'id: 1\n' };
    const { seq } = await publish(lab.url, data);
    await until(() => sse.messages.some((m) => m.seq === seq), 3_000, 'the message');
    const mine = sse.messages.filter((m) => (m.data as { sneaky?: string }).sneaky !== undefined);
    expect(mine).toHaveLength(1);
    expect(at(mine, 0, 'messages').data).toEqual(data);
    sse.close();
  });
});

describe('slow clients', () => {
  it('a client that never finishes its headers is dropped (slowloris)', async () => {
    const socket = net.connect(lab.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.on('error', () => {}); // our late writes may meet the closed socket: that is the point
    socket.write('GET /api/poll HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const started = Date.now();
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    const timer = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(timer);
    // headersTimeoutMs is 500 here; Node checks once per connectionsCheckingInterval.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(answer).toMatch(/^HTTP\/1.1 408 /);
  });

  it('a WebSocket reader that stops reading is cut with 4001, and resumes by cursor without loss', async () => {
    const slow = await startLab({ slowConsumerBytes: 64 * 1024 });
    try {
      const probe = await WsProbe.open(slow.url, '?since=0');
      // Stop reading: the kernel buffers fill, then ws's, then the server's queue passes the bound.
      (probe.ws as unknown as { _socket: net.Socket })._socket.pause();
      const big = 'y'.repeat(16 * 1024);
      for (let i = 0; i < 400 && slow.app.lab.accounting.openStreams > 0; i++) slow.app.lab.feed.publish({ big, i });
      (probe.ws as unknown as { _socket: net.Socket })._socket.resume();
      expect(await probe.closed()).toBe(4001);
      expect(probe.closeReason).toMatch(/slow consumer/);
      const got = seqs(probe.messages());
      const last = got[got.length - 1] ?? 0;
      expect(got).toEqual(got.map((_, i) => i + 1));
      const resumed = await WsProbe.open(slow.url, `?since=${last}&epoch=${slow.app.lab.feed.epoch}`);
      const head = slow.app.lab.feed.head;
      await until(() => resumed.messages().length === head - last, 5_000, 'resume');
      expect([...got, ...seqs(resumed.messages())]).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      resumed.ws.close();
    } finally {
      await slow.close();
    }
  });
});
