/**
 * The long poll through the fast lane (server/fast-lane.ts, server/transports/long-poll.ts)
 * answers exactly as through Fastify: each case is sent by two clients at once, one with the lane
 * on, one with `fastPollLane` off, on ONE lab. Both answers must have the same status, the same
 * headers in the same order (but Date), the same body, and move each client's /api/stats counters
 * the same way: answered at once (a backlog, `timeout=0`), held then woken by a publish, held
 * then expired, and a future cursor (Fastify's 400 both ways). The lane must have served the
 * good ones, or the test proves nothing.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportCounters } from '../contract/index.js';
import { publishMany, type Running, startLab, until } from './harness.js';

interface Answer {
  status: number;
  headers: [string, string][];
  body: string;
}

/** One keep-alive HTTP/1.1 connection that sends raw request text and reads one whole answer. */
class RawClient {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(path: string): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  }

  async answer(): Promise<Answer> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers = lines.slice(1).map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string];
        });
        const length = Number(headers.find(([name]) => name === 'content-length')?.[1] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
          this.buffer = this.buffer.subarray(end + 4 + length);
          const status = Number(lines[0]?.split(' ')[1]);
          return { status, headers: headers.filter(([name]) => name !== 'date'), body };
        }
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

let lab: Running;
let viaLane: RawClient;
let viaFastify: RawClient;

beforeAll(async () => {
  lab = await startLab();
  await publishMany(lab.url, 5);
  viaLane = await RawClient.open(lab.port);
  viaFastify = await RawClient.open(lab.port);
});

afterAll(async () => {
  viaLane?.close();
  viaFastify?.close();
  await lab?.close();
});

const feed = () => lab.app.lab.feed;

async function countersOf(client: string): Promise<TransportCounters> {
  const stats = (await (await fetch(`${lab.url}/api/stats?client=${client}`)).json()) as {
    transports: Record<string, TransportCounters>;
  };
  return stats.transports['long-poll'] as TransportCounters;
}

/**
 * Sends `query` both ways, as clients `<name>-L` (lane) and `<name>-F` (Fastify): names of one
 * length, so the requests have as many bytes. A poll answered at once is read before the other is
 * sent; a `held` one is held both ways at once, then `between` runs (a publish, or nothing).
 */
async function bothWays(name: string, query: string, held: boolean, between: () => void = () => {}) {
  const { options, accounting } = lab.app.lab;
  const open = accounting.openStreams;
  const served = lab.app.lab.fastLane?.served ?? 0;
  let lane: Answer;
  let fastify: Answer;
  options.fastPollLane = true;
  viaLane.send(`/api/long-poll?client=${name}-L&${query}`);
  if (!held) {
    lane = await viaLane.answer();
    options.fastPollLane = false;
    viaFastify.send(`/api/long-poll?client=${name}-F&${query}`);
    fastify = await viaFastify.answer();
  } else {
    await until(() => accounting.openStreams === open + 1, 10_000, 'the lane poll held');
    options.fastPollLane = false;
    viaFastify.send(`/api/long-poll?client=${name}-F&${query}`);
    await until(() => accounting.openStreams === open + 2, 10_000, 'both polls held');
    const answers = Promise.all([viaLane.answer(), viaFastify.answer()]);
    between();
    [lane, fastify] = await answers;
  }
  options.fastPollLane = true;
  await until(() => accounting.openStreams === open, 10_000, 'both polls released');
  return {
    lane,
    fastify,
    counters: [await countersOf(`${name}-L`), await countersOf(`${name}-F`)] as const,
    servedByLane: (lab.app.lab.fastLane?.served ?? 0) - served,
  };
}

describe('the long poll through the fast lane', () => {
  it('a backlog, and timeout=0: answered at once, the same both ways', async () => {
    for (const [name, query] of [
      ['backlog', 'since=1&limit=2'],
      ['now', `since=${feed().head}&timeout=0`],
    ] as const) {
      const { lane, fastify, counters, servedByLane } = await bothWays(name, query, false);
      expect(lane).toEqual(fastify);
      expect(lane.status).toBe(200);
      expect(counters[0]).toEqual(counters[1]);
      expect(servedByLane).toBe(1);
    }
  });

  it('held, then woken by a publish: the same answer, the same counters', async () => {
    const head = feed().head;
    const { lane, fastify, counters, servedByLane } = await bothWays('woken', `since=${head}&timeout=20000`, true, () =>
      feed().publish({ woken: true }),
    );
    expect(lane).toEqual(fastify);
    expect(JSON.parse(lane.body).messages.map((m: { seq: number }) => m.seq)).toEqual([head + 1]);
    expect(counters[0]).toEqual(counters[1]);
    expect(servedByLane).toBe(1);
  });

  it('held, then its timeout passes: the same empty answer, the same counters', async () => {
    const head = feed().head;
    const { lane, fastify, counters, servedByLane } = await bothWays('expired', `since=${head}&timeout=300`, true);
    expect(lane).toEqual(fastify);
    expect(JSON.parse(lane.body).messages).toEqual([]);
    expect(counters[0]).toEqual(counters[1]);
    expect(counters[0].emptyResponses).toBe(1);
    expect(servedByLane).toBe(1);
  });

  it('a future cursor is not the lane’s: Fastify’s 400 both ways', async () => {
    const { lane, fastify, counters, servedByLane } = await bothWays('future', `since=${feed().head + 9}`, false);
    expect(lane).toEqual(fastify);
    expect(lane.status).toBe(400);
    expect(counters[0]).toEqual(counters[1]);
    expect(servedByLane).toBe(0);
  });
});
