/**
 * The shaper (tools/shaper.ts, through tools/tcp-proxy.ts) against a clock: what each
 * profile parameter does to a real TCP connection on 127.0.0.1, and that it never changes a byte.
 * Times are taken in this process on both sides of the proxy (one clock, performance.now()).
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type NetworkParams, resolveNetwork, SEGMENT_BYTES } from '../../contract/networks.js';
import {
  emptyBooks,
  LATENESS_BUCKETS_MS,
  latenessPercentile,
  ShapedDirection,
  type ShaperBooks,
  seededRandom,
} from '../../tools/shaper.js';
import { startProxy, type TcpProxy } from '../../tools/tcp-proxy.js';
import { until } from '../harness.js';

const NONE: NetworkParams = {
  rttMs: 0,
  jitterMs: 0,
  downKbps: 0,
  upKbps: 0,
  lossPercent: 0,
  idleTimeoutS: 0,
  bufferKiB: 0,
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** One direction delayed 5 ms, nothing else: for the tests of the shared clock. */
const DELAY_5_MS = { delayMs: 5, jitterMs: 0, kbps: 0, lossPercent: 0, rtoMs: 200 };

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function listen(server: net.Server | http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => new Promise((r) => server.close(r)));
  return (server.address() as AddressInfo).port;
}

async function proxyTo(port: number, network: NetworkParams, seed = 7): Promise<TcpProxy> {
  const proxy = await startProxy({ upstreamPort: port, network, seed });
  cleanup.push(() => proxy.close());
  return proxy;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  socket.on('error', () => {});
  await once(socket, 'connect');
  cleanup.push(() => socket.destroy());
  return socket;
}

describe('shaper: delay, bandwidth, loss', () => {
  it('adds RTT/2 to each direction (within ±2 ms of the same path unshaped, at most 1 ms early)', async () => {
    // One arrival time per newline (two messages may arrive in one read).
    const arrivals: number[] = [];
    const server = net.createServer((s) =>
      s.on('data', (c: Buffer) => {
        const at = performance.now();
        for (const byte of c) if (byte === 10) arrivals.push(at);
      }),
    );
    const port = await listen(server);
    /** One-way times of 21 messages through a proxy with this RTT. */
    const oneWay = async (rttMs: number) => {
      arrivals.length = 0;
      const proxy = await proxyTo(port, { ...NONE, rttMs });
      const socket = await connect(proxy.port);
      const sent: number[] = [];
      for (let i = 0; i < 21; i++) {
        sent.push(performance.now());
        socket.write(`m${i}\n`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await expect.poll(() => arrivals.length, { timeout: 10_000 }).toBe(21);
      return arrivals.map((at, i) => at - (sent[i] as number));
    };
    const base = await oneWay(0);
    const shaped = await oneWay(100);
    // The machine is shared: a timer fires late by the event loop's delay, which no shaper can
    // avoid and which only ever adds. The fastest message of each run is the one the load spared:
    // the shaper's own delay is the difference of the two minima.
    expect(Math.min(...shaped)).toBeGreaterThanOrEqual(50 - 1);
    expect(Math.abs(Math.min(...shaped) - Math.min(...base) - 50)).toBeLessThanOrEqual(2);
  });

  it('caps throughput at the profile rate (within 5 % over 1 MB) and changes no byte', async () => {
    const payload = randomBytes(1024 * 1024);
    const server = net.createServer((s) => s.end(payload));
    // 2 Mbit/s: 1 MB takes ~4 s, so a late timer on a shared machine is a small part of it.
    const proxy = await proxyTo(await listen(server), { ...NONE, downKbps: 2_000 });
    const socket = await connect(proxy.port);
    const chunks: Buffer[] = [];
    let first = 0;
    let last = 0;
    let firstBytes = 0;
    socket.on('data', (c: Buffer) => {
      if (first === 0) {
        first = performance.now();
        firstBytes = c.length;
      }
      last = performance.now();
      chunks.push(c);
    });
    await once(socket, 'end');
    const received = Buffer.concat(chunks);
    expect(sha(received)).toBe(sha(payload));
    const kbps = ((received.length - firstBytes) * 8) / (last - first);
    expect(Math.abs(kbps - 2_000) / 2_000).toBeLessThanOrEqual(0.05);
  });

  it('stalls segments at the configured probability, seeded, and the same seed stalls the same segments', () => {
    const run = (seed: number) => {
      const books = emptyBooks();
      const direction = new ShapedDirection(
        { delayMs: 0, jitterMs: 0, kbps: 0, lossPercent: 5, rtoMs: 200 },
        seededRandom(seed),
        () => {},
        () => {},
        books,
      );
      direction.push(Buffer.alloc(SEGMENT_BYTES * 4_000));
      direction.stop();
      return books;
    };
    const a = run(42);
    expect(a.segments).toBe(4_000);
    // Binomial(4000, 0.05): mean 200, σ ≈ 13.8; ±4σ.
    expect(Math.abs(a.stalls - 200)).toBeLessThanOrEqual(55);
    expect(run(42).stalls).toBe(a.stalls);
    expect(run(43).stalls).not.toBe(a.stalls);
  });

  it('a drained direction holds no delivered segment (their Buffers must not outlive the delivery)', async () => {
    const delivered: Buffer[] = [];
    const direction = new ShapedDirection(
      { delayMs: 2, jitterMs: 0, kbps: 0, lossPercent: 0, rtoMs: 200 },
      seededRandom(1),
      (chunk) => delivered.push(chunk),
      () => {},
      emptyBooks(),
    );
    for (let i = 0; i < 20; i++) {
      direction.push(Buffer.alloc(100, i));
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(Buffer.concat(delivered).length).toBe(2_000);
    expect(direction.pending).toBe(0);
    expect((direction as unknown as { queue: unknown[] }).queue).toHaveLength(0);
  });

  it('thousands of directions due at once share one clock: all delivered in order, in slices the loop runs between', async () => {
    // A fan-out: 2 000 directions get their bytes in the same turn, so all fall due together. Each
    // delivery costs ~20 µs here (a socket write's order); the clock must yield between slices.
    const n = 2_000;
    const got: number[][] = Array.from({ length: n }, () => []);
    const order: string[] = [];
    const spin = (us: number) => {
      const end = performance.now() + us / 1000;
      while (performance.now() < end);
    };
    const directions = got.map(
      (into, i) =>
        new ShapedDirection(
          DELAY_5_MS,
          seededRandom(i),
          (chunk) => {
            into.push(...chunk);
            order.push('d');
            spin(20);
          },
          () => {},
          emptyBooks(),
        ),
    );
    for (const [i, d] of directions.entries()) d.push(Buffer.from([i % 256, 1, 2]));
    for (const [i, d] of directions.entries()) d.push(Buffer.from([3, i % 256]));
    // Something else that wants the loop while the deliveries are due: it must get turns between them.
    const probe = setInterval(() => order.push('other'), 0);
    await until(() => got.every((bytes) => bytes.length === 5), 30_000, 'every direction delivered');
    clearInterval(probe);
    got.forEach((bytes, i) => {
      expect(bytes).toEqual([i % 256, 1, 2, 3, i % 256]);
    });
    const first = order.indexOf('d');
    const last = order.lastIndexOf('d');
    expect(order.slice(first, last).filter((o) => o === 'other').length).toBeGreaterThan(0);
  });

  it("tells its own lateness from the loop's: a blocked loop makes deliveries late, its own backlog makes them its own", async () => {
    // The shaper reads performance.now(): faked here, so the test sets how long the loop is held and
    // what each delivery costs, and the machine's own pauses cannot enter. Timers stay real.
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const make = (books: ShaperBooks, costMs: number, delivered: { n: number }, onDeliver = () => {}) =>
        new ShapedDirection(
          DELAY_5_MS,
          seededRandom(1),
          () => {
            delivered.n += 1;
            onDeliver();
            vi.advanceTimersByTime(costMs);
          },
          () => {},
          books,
        );
      // Bucket counts of each delivery's lateness, as the books keep them.
      const bucketsOf = (lateMs: number[]) =>
        LATENESS_BUCKETS_MS.map(
          (bound, i) => lateMs.filter((ms) => ms <= bound && ms > (LATENESS_BUCKETS_MS[i - 1] ?? -1)).length,
        );
      const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

      // 1. Ten free deliveries fall due while something else holds the loop for 40 ms: each is 35 ms
      //    late, all of it the loop's.
      const blocked = emptyBooks();
      const blockedCount = { n: 0 };
      for (const d of Array.from({ length: 10 }, () => make(blocked, 0, blockedCount))) d.push(Buffer.from([1]));
      vi.advanceTimersByTime(40);
      await until(() => blockedCount.n === 10, 10_000, 'ten free deliveries');
      expect(blocked.lateness).toEqual(bucketsOf(Array(10).fill(35)));
      expect(blocked.ownLateness).toEqual(bucketsOf(Array(10).fill(0)));

      // 2. Forty deliveries of 1 ms each fall due together and the loop is free: the k-th waits k ms
      //    behind the earlier ones, in slices of 2 ms — all of its lateness is the shaper's own.
      const backlog = emptyBooks();
      const backlogCount = { n: 0 };
      for (const d of Array.from({ length: 40 }, () => make(backlog, 1, backlogCount))) d.push(Buffer.from([2]));
      vi.advanceTimersByTime(5);
      await until(() => backlogCount.n === 40, 10_000, 'forty costly deliveries');
      expect(backlog.lateness).toEqual(bucketsOf(range(0, 40)));
      expect(backlog.ownLateness).toEqual(backlog.lateness);
      expect(latenessPercentile(backlog, 99, true)).toBeGreaterThanOrEqual(20);

      // 3. Ten deliveries of 1 ms: after the first slice (two of them) the shaper yields, and something
      //    else holds the loop for 30 ms before its next slice. The 30 ms are the loop's; the shaper's
      //    own part is the 2 ms of the first slice plus the wait within the second.
      const held = emptyBooks();
      const heldCount = { n: 0 };
      const holdAfterSecond = () => {
        if (heldCount.n === 2) setImmediate(() => vi.advanceTimersByTime(30));
      };
      for (const d of Array.from({ length: 10 }, () => make(held, 1, heldCount, holdAfterSecond)))
        d.push(Buffer.from([3]));
      vi.advanceTimersByTime(5);
      await until(() => heldCount.n === 10, 10_000, 'ten deliveries with the loop held between slices');
      expect(held.lateness).toEqual(bucketsOf([0, 1, ...range(32, 8)]));
      expect(held.ownLateness).toEqual(bucketsOf([0, 1, ...range(2, 8)]));
    } finally {
      vi.useRealTimers();
    }
  });

  it('one drain at a time: a direction re-armed in the middle of a drain starts no second drain beside it', async () => {
    // Fake performance.now() (timers real): each delivery costs 1 ms of the shaper's clock, so a slice
    // is two deliveries. A drain holds the loop for one slice, then lets a turn of other work run.
    vi.useFakeTimers({ toFake: ['performance'] });
    const order: string[] = [];
    let ticking = true;
    const other = () => {
      order.push('other');
      if (ticking) setImmediate(other);
    };
    try {
      setImmediate(other);
      const books = emptyBooks();
      const costly = () => {
        order.push('d');
        vi.advanceTimersByTime(1);
        // Real time too, so the drain lasts many turns of the real loop.
        const end = process.hrtime.bigint() + 200_000n;
        while (process.hrtime.bigint() < end);
      };
      const make = () => new ShapedDirection(DELAY_5_MS, seededRandom(1), costly, () => {}, books);
      // Due first at 5, again at 8: delivered at the head of the drain, it re-arms for its second segment.
      const rearming = make();
      rearming.push(Buffer.from([0]));
      vi.advanceTimersByTime(1);
      const many = Array.from({ length: 100 }, make);
      for (const d of many) d.push(Buffer.from([1])); // due at 6
      vi.advanceTimersByTime(2);
      rearming.push(Buffer.from([2])); // due at 8
      vi.advanceTimersByTime(3);
      await until(() => books.deliveries === 102, 10_000, 'every delivery');
      await new Promise((r) => setTimeout(r, 20));
      // Never more than one slice (two deliveries) between two turns of other work.
      let run = 0;
      let longestRun = 0;
      for (const turn of order) {
        run = turn === 'd' ? run + 1 : 0;
        longestRun = Math.max(longestRun, run);
      }
      expect(longestRun).toBe(2);
      expect(books.deliveries).toBe(102);
    } finally {
      ticking = false;
      vi.useRealTimers();
    }
  });

  it('a lost segment holds back everything behind it for the retransmission timeout; nothing reordered or changed', async () => {
    // Loss and jitter on: every byte still arrives, in order, and the stalls show as gaps ≥ the RTO.
    const network = { ...NONE, rttMs: 20, jitterMs: 10, lossPercent: 5 };
    const got: Buffer[] = [];
    const times: number[] = [];
    const server = net.createServer((s) =>
      s.on('data', (c: Buffer) => {
        got.push(c);
        times.push(performance.now());
      }),
    );
    const proxy = await proxyTo(await listen(server), network);
    const socket = await connect(proxy.port);
    const sent: Buffer[] = [];
    for (let i = 0; i < 60; i++) {
      const piece = Buffer.from(`${String(i).padStart(4, '0')}:${randomBytes(2_000).toString('base64')}|`);
      sent.push(piece);
      socket.write(piece);
      await new Promise((r) => setTimeout(r, 5));
    }
    const all = Buffer.concat(sent);
    await expect.poll(() => Buffer.concat(got).length, { timeout: 15_000 }).toBe(all.length);
    expect(sha(Buffer.concat(got))).toBe(sha(all));
    expect(proxy.shaper.stalls).toBeGreaterThan(0);
    // A stall holds the stream for the RTO (max(200, 2 × 20) = 200 ms): a gap of at least ~200 − 60×5 ms of sending.
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(Math.max(...gaps)).toBeGreaterThan(100);
  });
});

describe('shaper: intermediaries', () => {
  it('an idle connection is cut silently: nothing relayed either way, and the client is reset when it speaks', async () => {
    let serverSide: net.Socket | null = null;
    const server = net.createServer((s) => {
      serverSide = s;
      s.on('data', (c) => s.write(c));
      s.on('error', () => {});
    });
    const proxy = await proxyTo(await listen(server), { ...NONE, idleTimeoutS: 0.3 });
    const socket = await connect(proxy.port);
    socket.write('ping');
    const [echo] = (await once(socket, 'data')) as [Buffer];
    expect(echo.toString()).toBe('ping');
    await expect.poll(() => proxy.idleCutCount, { timeout: 5_000 }).toBe(1);
    // The server speaks: the client hears nothing (the middlebox forgot the flow).
    let heard = 0;
    socket.on('data', (c: Buffer) => {
      heard += c.length;
    });
    (serverSide as net.Socket | null)?.write('are you there?');
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).toBe(0);
    expect(socket.destroyed).toBe(false);
    // The client speaks: it is reset.
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('hello?');
    await closed;
    expect(proxy.connections[0]?.idleCut).toBe(true);
  });

  it('buffering holds a streamed response until K KiB, passes a whole response at its end, and tunnels after 101', async () => {
    let stream: http.ServerResponse | null = null;
    const server = http.createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        stream = res;
        return;
      }
      res.end('x'.repeat(300));
    });
    const proxy = await proxyTo(await listen(server), { ...NONE, bufferKiB: 1 });
    const agent = new http.Agent({ keepAlive: true });
    cleanup.push(() => agent.destroy());

    // A whole response (300 B < 1 KiB) is passed when it ends.
    const small = await new Promise<string>((resolve, reject) => {
      http
        .get(`${proxy.url}/small`, { agent }, (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    expect(small.length).toBe(300);

    // A stream: the head passes, then nothing until 1 KiB of body has piled up.
    const bodyChunks: Buffer[] = [];
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${proxy.url}/stream`, { agent: false }, resolve).on('error', reject);
    });
    response.on('data', (c: Buffer) => bodyChunks.push(c));
    expect(response.statusCode).toBe(200);
    await expect.poll(() => stream !== null).toBe(true);
    const live = stream as unknown as http.ServerResponse;
    for (let i = 0; i < 9; i++) live.write('y'.repeat(100)); // 900 B (+ chunk framing) < 1 KiB
    await new Promise((r) => setTimeout(r, 200));
    expect(bodyChunks.length).toBe(0);
    for (let i = 0; i < 2; i++) live.write('y'.repeat(100));
    await expect.poll(() => bodyChunks.length, { timeout: 5_000 }).toBeGreaterThan(0);
    // Released once ≥ 1 KiB was held (framing included): at least the first 9 writes, only y's.
    const released = Buffer.concat(bodyChunks).toString();
    expect(released.length).toBeGreaterThanOrEqual(900);
    expect(released).toBe('y'.repeat(released.length));
    // The response ends: the rest goes on.
    live.end();
    await expect.poll(() => Buffer.concat(bodyChunks).length, { timeout: 5_000 }).toBe(1_100);
  });

  it('a 101 Switching Protocols turns the connection into an unbuffered tunnel', async () => {
    const server = http.createServer();
    server.on('upgrade', (_req, socket: net.Socket) => {
      cleanup.push(() => socket.destroy());
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: lab\r\nconnection: upgrade\r\n\r\n');
      socket.write('first frame');
    });
    const proxy = await proxyTo(await listen(server), { ...NONE, bufferKiB: 64 });
    const socket = await connect(proxy.port);
    socket.write('GET / HTTP/1.1\r\nhost: x\r\nupgrade: lab\r\nconnection: upgrade\r\n\r\n');
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString();
    });
    await expect.poll(() => text.endsWith('first frame'), { timeout: 5_000 }).toBe(true);
  });
});

describe('network profiles', () => {
  it('an unknown profile or an out-of-range parameter is refused with what is valid', () => {
    expect(() => resolveNetwork('5g')).toThrow(/unknown network profile "5g"; profiles: loopback, lan/);
    expect(() => resolveNetwork('3g', { rttMs: -1 })).toThrow(/rttMs must be a number within 0…5000/);
    expect(() => resolveNetwork('3g', { lossPercent: '90' })).toThrow(/lossPercent must be a number within 0…50/);
    expect(() => resolveNetwork('3g', { bogus: 1 })).toThrow(/unknown network parameter "bogus"/);
    expect(resolveNetwork('3g')).toMatchObject({ name: '3g', rttMs: 150, downKbps: 1_600, upKbps: 750 });
    expect(resolveNetwork('3g', { rttMs: '300' })).toMatchObject({ name: '3g+custom', rttMs: 300 });
  });
});
