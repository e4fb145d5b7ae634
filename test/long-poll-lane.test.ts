/**
 * The long poll through the fast lane (server/fast-lane.ts, server/transports/long-poll.ts)
 * answers exactly as through Fastify: each case is sent by two clients at once, one with the lane
 * on, one with `fastPollLane` off, on ONE lab. Both answers must have the same status, the same
 * headers in the same order (but Date), the same body, and move each client's /api/stats counters
 * the same way: answered at once (a backlog, `timeout=0`), held then woken by a publish, held
 * then expired, and a future cursor (Fastify's 400 both ways). The lane must have served the
 * good ones, or the test proves nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportCounters } from '../contract/index.js';
import { publishMany, type Running, startLab, until } from './harness.js';
import { RawHttpClient } from './raw-http-client.js';

interface Answer {
  status: number;
  /** Names in lower case, Date left out (each server's own clock). */
  headers: [string, string][];
  body: string;
}

/** A GET on `client`'s connection, and its answer with names in lower case and no Date. */
function get(client: RawHttpClient, path: string): void {
  client.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
}
async function answerOf(client: RawHttpClient): Promise<Answer> {
  const { status, headers, body } = await client.answer();
  const named = headers.map(([name, value]) => [name.toLowerCase(), value] as [string, string]);
  return { status, headers: named.filter(([name]) => name !== 'date'), body };
}

let lab: Running;
let viaLane: RawHttpClient;
let viaFastify: RawHttpClient;

beforeAll(async () => {
  lab = await startLab();
  await publishMany(lab.url, 5);
  viaLane = await RawHttpClient.open(lab.port);
  viaFastify = await RawHttpClient.open(lab.port);
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
  get(viaLane, `/api/long-poll?client=${name}-L&${query}`);
  if (!held) {
    lane = await answerOf(viaLane);
    options.fastPollLane = false;
    get(viaFastify, `/api/long-poll?client=${name}-F&${query}`);
    fastify = await answerOf(viaFastify);
  } else {
    await until(() => accounting.openStreams === open + 1, 10_000, 'the lane poll held');
    options.fastPollLane = false;
    get(viaFastify, `/api/long-poll?client=${name}-F&${query}`);
    await until(() => accounting.openStreams === open + 2, 10_000, 'both polls held');
    const answers = Promise.all([answerOf(viaLane), answerOf(viaFastify)]);
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
