/**
 * The remaining bad inputs of the classic list (docs/reliability.md), each with its documented
 * answer, against a real server on loopback, while a witness WebSocket client keeps receiving the
 * feed gap-free through all of it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overloadRetryMs } from '../server/transports/sse.js';
import { type Running, seqs, startLab, until, WsProbe } from './harness.js';
import { closePayload, RawWs } from './ws-raw.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let lab: Running;
let witness: WsProbe;

beforeAll(async () => {
  lab = await startLab({ rate: 50, running: true, wsFragmentTimeoutMs: 300, pollRequestsPerSecond: 20 });
  witness = await WsProbe.open(lab.url, '?client=witness');
});

afterAll(async () => {
  const received = seqs(witness.messages());
  expect(received.length).toBeGreaterThan(10);
  const first = received[0] as number;
  expect(received).toEqual(received.map((_, i) => first + i));
  expect(witness.closeCode).toBeNull();
  witness.ws.close();
  await lab.close();
});

/** A GET with exactly these headers (fetch will not send a Host of our choosing). */
function get(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, headers, agent: false, setHost: false });
    request.once('error', reject);
    request.once('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    request.end();
  });
}

describe('DNS rebinding: Host on a loopback connection', () => {
  it('a foreign Host is 403 LAB_FOREIGN_HOST, for a page, an API call and a WebSocket upgrade', async () => {
    for (const path of ['/', '/api/poll', '/api/feed']) {
      const answer = await get(lab.port, path, { host: `evil.example:${lab.port}` });
      expect(answer.status, path).toBe(403);
      expect(JSON.parse(answer.body).code, path).toBe('LAB_FOREIGN_HOST');
    }
    const ws = await RawWs.open(lab.port, '/api/ws', { Host: 'rebind.evil.example' });
    expect(ws.status).toBe(403);
    ws.destroy();
  });

  it('loopback names pass: localhost, 127.0.0.1, [::1], *.localhost', async () => {
    for (const host of [`localhost:${lab.port}`, `127.0.0.1:${lab.port}`, `[::1]:${lab.port}`, 'lab.localhost']) {
      expect((await get(lab.port, '/api/feed', { host })).status, host).toBe(200);
    }
  });

  it('a name given with allowedHosts (--allow-host) passes', async () => {
    const named = await startLab({ allowedHosts: ['lab.test'] });
    try {
      expect((await get(named.port, '/api/feed', { host: `lab.test:${named.port}` })).status).toBe(200);
      expect((await get(named.port, '/api/feed', { host: 'other.test' })).status).toBe(403);
    } finally {
      await named.close();
    }
  });
});

describe('the WebSocket upgrade', () => {
  it.each([
    ['version 12', { 'Sec-WebSocket-Version': '12' }],
    ['version 8 (a 2011 draft ws would accept)', { 'Sec-WebSocket-Version': '8' }],
    ['no version', { 'Sec-WebSocket-Version': null }],
    ['a key that is not base64', { 'Sec-WebSocket-Key': 'not a key!' }],
    ['a key of 15 bytes', { 'Sec-WebSocket-Key': Buffer.alloc(15, 1).toString('base64') }],
    ['no key', { 'Sec-WebSocket-Key': null }],
  ])('%s: 400 with Sec-WebSocket-Version: 13', async (_, headers) => {
    const ws = await RawWs.open(lab.port, '/api/ws', headers);
    expect(ws.status).toBe(400);
    expect(ws.headers['sec-websocket-version']).toBe('13');
    ws.destroy();
  });

  it.each(['a,,b', 'a b', ',', 'lab.v1.json,'])('a malformed Sec-WebSocket-Protocol %j: 400', async (protocol) => {
    const ws = await RawWs.open(lab.port, '/api/ws', { 'Sec-WebSocket-Protocol': protocol });
    expect(ws.status).toBe(400);
    ws.destroy();
  });
});

describe('frames', () => {
  const echo = JSON.stringify({ type: 'echo', n: 1 });

  it('64 fragments make one message; 65 close 1009', async () => {
    const ok = await RawWs.open(lab.port);
    ok.send(
      { opcode: 1, fin: false, payload: echo },
      ...Array.from({ length: 62 }, () => ({ opcode: 0, fin: false })),
      { opcode: 0, fin: true },
    );
    await until(() => ok.texts().some((t) => t === echo), 5_000, 'the echo of a 64-fragment message');
    expect(ok.closeCode).toBeNull();
    ok.destroy();

    const over = await RawWs.open(lab.port);
    over.send(
      { opcode: 1, fin: false, payload: echo },
      ...Array.from({ length: 63 }, () => ({ opcode: 0, fin: false })),
      { opcode: 0, fin: true },
    );
    expect(await over.closed()).toBe(1009);
    expect(over.closeReason).toMatch(/more than 64 fragments/);
    over.destroy();
  });

  it('an unfinished fragmented message closes 1008 (control frames inside it are still answered)', async () => {
    const ws = await RawWs.open(lab.port);
    ws.send({ opcode: 1, fin: false, payload: '{"type":"ec' }, { opcode: 9, payload: 'still there?' });
    await until(() => ws.frames.some((f) => f.opcode === 10 && f.payload.toString() === 'still there?'), 5_000, 'pong');
    expect(await ws.closed()).toBe(1008);
    expect(ws.closeReason).toMatch(/not finished within 300 ms/);
    ws.destroy();
  });

  it('a ping with a 126-byte payload closes 1002', async () => {
    const ws = await RawWs.open(lab.port);
    ws.send({ opcode: 9, payload: Buffer.alloc(126, 0x61) });
    expect(await ws.closed()).toBe(1002);
    ws.destroy();
  });

  it('a close frame with a 1-byte payload closes 1002', async () => {
    const ws = await RawWs.open(lab.port);
    ws.send({ opcode: 8, payload: Buffer.from([0x03]) });
    expect(await ws.closed()).toBe(1002);
    ws.destroy();
  });

  it('a close reason that is not UTF-8 closes 1007', async () => {
    const ws = await RawWs.open(lab.port);
    ws.send({ opcode: 8, payload: Buffer.concat([closePayload(1000), Buffer.from([0xc3, 0x28])]) });
    expect(await ws.closed()).toBe(1007);
    ws.destroy();
  });

  it('a valid close is echoed with its code', async () => {
    const ws = await RawWs.open(lab.port);
    ws.send({ opcode: 8, payload: closePayload(4000, 'bye') });
    expect(await ws.closed()).toBe(4000);
    ws.destroy();
  });
});

describe('a polling flood from one client', () => {
  it('gets 429 with Retry-After; a calm client polling beside it is never refused', async () => {
    // One poll a second each (bursts of 2): the calm client polls every 1.5 s, the flood fires 60 at once.
    const limited = await startLab({ pollRequestsPerSecond: 1 });
    let calmRefused = 0;
    let calmServed = 0;
    let running = true;
    const calm = (async () => {
      while (running) {
        const res = await fetch(`${limited.url}/api/poll?client=calm`);
        await res.text();
        if (res.status === 200) calmServed += 1;
        else calmRefused += 1;
        await new Promise((r) => setTimeout(r, 1_500));
      }
    })();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    let code = '';
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 60 }, () => fetch(`${limited.url}/api/poll?client=flood`)));
    const elapsedS = (performance.now() - started) / 1000;
    for (const res of answers) {
      statuses.push(res.status);
      const body = await res.text();
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        code = JSON.parse(body).code;
      }
    }
    running = false;
    await calm;
    await limited.close();
    // The bucket's own arithmetic: at most the burst (2) plus one a second for the time it took.
    const served = statuses.filter((s) => s === 200).length;
    expect(served).toBeLessThanOrEqual(2 + Math.ceil(elapsedS) + 1);
    expect(statuses.filter((s) => s === 429).length).toBe(60 - served);
    expect(served).toBeLessThan(60);
    expect(code).toBe('LAB_TOO_MANY_REQUESTS');
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(calmRefused).toBe(0);
    expect(calmServed).toBeGreaterThan(0);
  });
});

describe('EventSource turned away by overload', () => {
  it('the retry advice is jittered: retryMs ± 50 %', () => {
    const values = [0, 0.25, 0.5, 0.999].map((r) => overloadRetryMs(10_000, () => r));
    expect(values).toEqual([5_000, 7_500, 10_000, 14_990]);
  });

  it('gets 200 + retry: + event: overload, and its EventSource reconnects by itself once there is room', async () => {
    const full = await startLab({ maxStreams: 1, sseOverloadRetryMs: 200 });
    try {
      const holder = await WsProbe.open(full.url);
      const advised = new Set<number>();
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${full.url}/api/sse`);
        expect(res.status).toBe(200);
        const body = await res.text();
        const retry = Number(/^retry: (\d+)$/m.exec(body)?.[1]);
        expect(retry).toBeGreaterThanOrEqual(100);
        expect(retry).toBeLessThanOrEqual(300);
        expect(body).toMatch(/^event: overload$/m);
        advised.add(retry);
      }
      expect(advised.size).toBeGreaterThan(1); // jitter, not one fixed value

      const es = new EventSource(`${full.url}/api/sse`);
      let overloads = 0;
      let hello = false;
      es.addEventListener('overload', () => {
        overloads += 1;
      });
      es.addEventListener('hello', () => {
        hello = true;
      });
      await until(() => overloads >= 2, 10_000, 'two overload answers');
      // Never given up: EventSource is connecting again, not closed.
      expect(es.readyState).not.toBe(2);
      holder.ws.close();
      await until(() => hello, 10_000, 'the stream once there is room');
      expect(es.readyState).toBe(1);
      es.close();
    } finally {
      await full.close();
    }
  });
});

describe('a frozen peer', () => {
  it('a client process stopped with SIGSTOP is terminated within two heartbeat intervals', async () => {
    const frozen = await startLab({ wsPingMs: 400 });
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const WebSocket = require('ws'); const ws = new WebSocket(process.argv[1]); ws.on('open', () => console.log('open')); ws.on('error', () => {});`,
        `${frozen.url.replace('http', 'ws')}/api/ws?client=frozen`,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(child.stdout as NodeJS.ReadableStream, 'data');
      // A live peer beside it: its pings count the heartbeat ticks that pass.
      const bystander = await WsProbe.open(frozen.url);
      let ticks = 0;
      bystander.ws.on('ping', () => {
        ticks += 1;
      });
      await until(() => frozen.app.lab.accounting.openStreams === 2, 5_000, 'both connected');
      await until(() => ticks >= 1, 5_000, 'a first heartbeat');
      child.kill('SIGSTOP');
      const ticksAtStop = ticks;
      await until(() => frozen.app.lab.accounting.openStreams === 1, 10_000, 'the frozen peer to be terminated');
      // Terminated at the second heartbeat after it stopped answering (the bystander's ticks
      // run on their own timer, so allow one tick of phase difference).
      expect(ticks - ticksAtStop).toBeLessThanOrEqual(3);
      expect(bystander.closeCode).toBeNull();
      bystander.ws.close();
    } finally {
      child.kill('SIGKILL');
      await frozen.close();
    }
  });
});
