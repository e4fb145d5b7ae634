/**
 * The fast lane (server/fast-lane.ts) answers exactly as Fastify does. Random poll requests —
 * valid and invalid query strings, hosts, client ids, limits, cursors (old, current, future, of
 * another epoch), an Origin, a body — are each sent twice to ONE lab: once with the lane on, once
 * with `fastPollLane` off (every request through Fastify). Both answers must have the same status,
 * the same headers in the same order (but Date), the same body, and move /api/stats the same way
 * (requests, messages, bytes in and out, empty answers, resets: totals and the client's own). A
 * burst over the poll limit (the limiter's clock held still) gets the same 200s, 429s and
 * Retry-After both ways. The lane must have answered many of them, or the test proves nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TransportCounters } from '../contract/index.js';
import { publishMany, type Running, startLab } from './harness.js';
import { type RawAnswer as Answer, RawHttpClient as RawClient } from './raw-http-client.js';

let lab: Running;
let epoch: string;
let head: number;
let fast: RawClient;
let slow: RawClient;

beforeAll(async () => {
  lab = await startLab({ retention: 20 });
  await publishMany(lab.url, 30);
  const feed = (await (await fetch(`${lab.url}/api/feed`)).json()) as { epoch: string; head: number };
  epoch = feed.epoch;
  head = feed.head;
  fast = await RawClient.open(lab.port);
  slow = await RawClient.open(lab.port);
});
afterAll(async () => {
  fast?.close();
  slow?.close();
  await lab?.close();
});

/** The short-poll counters of everyone and of `client` (settled: /api/stats reads them live). */
async function shortPollCounters(client: string): Promise<{ totals: TransportCounters; client: TransportCounters }> {
  const read = async (query: string) => {
    const stats = (await (await fetch(`${lab.url}/api/stats${query}`)).json()) as {
      transports: Record<string, TransportCounters>;
    };
    return stats.transports['short-poll'] as TransportCounters;
  };
  return { totals: await read(''), client: await read(`?client=${client}`) };
}

function difference(after: TransportCounters, before: TransportCounters): Record<string, number> {
  const out: Record<string, number> = {};
  const was = before as unknown as Record<string, number>;
  // The counters only: `overhead` is worked out from them.
  for (const [name, value] of Object.entries(after))
    if (typeof value === 'number') out[name] = value - (was[name] ?? 0);
  return out;
}

/** The answer both ways, and what each did to the counters of `client`. */
async function bothWays(request: string, client: string) {
  const options = lab.app.lab.options;
  const before = await shortPollCounters(client);
  options.fastPollLane = true;
  const viaLane = await fast.send(request);
  const middle = await shortPollCounters(client);
  options.fastPollLane = false;
  const viaFastify = await slow.send(request);
  options.fastPollLane = true;
  const after = await shortPollCounters(client);
  const moved = (a: typeof before, b: typeof before) => ({
    totals: difference(b.totals, a.totals),
    client: difference(b.client, a.client),
  });
  const withoutDate = (answer: Answer) => ({
    ...answer,
    headers: answer.headers.filter(([name]) => name.toLowerCase() !== 'date'),
  });
  return {
    lane: { answer: withoutDate(viaLane), counters: moved(before, middle) },
    fastify: { answer: withoutDate(viaFastify), counters: moved(middle, after) },
  };
}

const clientIds = fc.constantFrom('lane-a', 'lane-b', 'x.y_z-1', 'a'.repeat(64), 'a'.repeat(65), 'bad id', '%41b', '');
const cursorPair = () =>
  fc.constantFrom(
    [],
    [['since', String(head)]],
    [['since', String(head - 1)]],
    [['since', '0']],
    [['since', String(head + 5)]],
    [
      ['since', String(head - 3)],
      ['epoch', epoch],
    ],
    [
      ['since', String(head)],
      ['epoch', epoch],
    ],
    [
      ['since', String(head + 1)],
      ['epoch', epoch],
    ],
    [
      ['since', '2'],
      ['epoch', epoch],
    ],
    [
      ['since', '5'],
      ['epoch', 'otherepoch'],
    ],
    [['epoch', epoch]],
    [['since', '-1']],
    [['since', '1e3']],
    [
      ['since', '12'],
      ['since', '13'],
    ],
  );
const limits = fc.constantFrom(null, '1', '2', '10000', '0', '10001', 'x', '+3', '%33');
const extras = fc.constantFrom(null, 'extra=1', 'timeout=5', 'limit', '&', 'client=lane-b');
// (No request without Host: Node itself answers HTTP/1.1 without one with 400 and closes.)
const hosts = fc.constantFrom('127.0.0.1', 'localhost', 'app.localhost', 'evil.example', 'LOCALHOST');
const more = fc.constantFrom(null, 'Origin: http://127.0.0.1:1', 'Content-Length: 0', 'Accept: */*');
const paths = fc.constantFrom('/api/poll', '/api/poll', '/api/poll', '/api/poll/', '/api/Poll');
const methods = fc.constantFrom('GET', 'GET', 'GET', 'GET', 'HEAD', 'POST');

describe('the fast lane', () => {
  it('answers every poll as Fastify does: status, headers, body, counters', async () => {
    const servedBefore = lab.app.lab.fastLane?.served ?? 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // Anything: most of these go to Fastify, and must stay exactly its answers.
          fc.record({
            method: methods,
            path: paths,
            client: fc.option(clientIds),
            cursor: cursorPair(),
            limit: limits,
            extra: extras,
            host: hosts,
            header: more,
          }),
          // Well-formed polls: the lane's own.
          fc.record({
            method: fc.constant('GET'),
            path: fc.constant('/api/poll'),
            client: fc.option(fc.constantFrom('lane-a', 'lane-b', 'x.y_z-1')),
            cursor: cursorPair(),
            limit: fc.constantFrom(null, '1', '2', '10000'),
            extra: fc.constant(null),
            host: fc.constantFrom('127.0.0.1', 'localhost', 'app.localhost'),
            header: fc.constantFrom(null, 'Accept: */*'),
          }),
        ),
        async (r) => {
          runs++;
          const pairs: string[] = [];
          if (r.client !== null) pairs.push(`client=${r.client}`);
          for (const [name, value] of r.cursor as unknown as [string, string][]) pairs.push(`${name}=${value}`);
          if (r.limit !== null) pairs.push(`limit=${r.limit}`);
          if (r.extra !== null) pairs.push(r.extra);
          const target = pairs.length === 0 ? r.path : `${r.path}?${pairs.join('&')}`;
          const lines = [`${r.method} ${target.replaceAll(' ', '%20')} HTTP/1.1`];
          lines.push(`Host: ${r.host}:${lab.port}`);
          if (r.header !== null) lines.push(r.header);
          const request = `${lines.join('\r\n')}\r\n\r\n`;
          const client = r.client !== null && /^[0-9A-Za-z_.-]{1,64}$/.test(r.client) ? r.client : 'nobody';
          const { lane, fastify } = await bothWays(request, client);
          expect(lane.answer).toEqual(fastify.answer);
          expect(lane.counters).toEqual(fastify.counters);
        },
      ),
      { numRuns: 150, seed: 10 },
    );
    expect(runs).toBe(150);
    // The lane answered a good share itself (a lane that stepped aside every time would pass the rest).
    expect((lab.app.lab.fastLane?.served ?? 0) - servedBefore).toBeGreaterThan(15);
  }, 120_000);

  it('a burst over the poll limit gets the same 200s, 429s and Retry-After both ways', async () => {
    const options = lab.app.lab.options;
    // The limiter's clock held still: the burst's tokens do not depend on how fast the machine is.
    const now = performance.now();
    const clock = vi.spyOn(performance, 'now').mockReturnValue(now);
    try {
      // Bursts of twice the rate (server/security/poll-limit.ts): 1 000 polls pass, then 429.
      expect(options.pollRequestsPerSecond).toBe(500);
      const statuses: number[] = [];
      for (let i = 0; i < 1_003; i++) {
        const request = `GET /api/poll?client=burst&since=${head} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
        // Two clients, one per way, with buckets of their own and the same history.
        options.fastPollLane = true;
        const viaLane = await fast.send(request);
        options.fastPollLane = false;
        const viaFastify = await slow.send(request.replace('client=burst', 'client=bursx'));
        options.fastPollLane = true;
        const strip = (a: Answer) => ({ ...a, headers: a.headers.filter(([n]) => n.toLowerCase() !== 'date') });
        expect(strip(viaLane)).toEqual(strip(viaFastify));
        statuses.push(viaLane.status);
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(1_000);
      expect(statuses.slice(1_000)).toEqual([429, 429, 429]);
    } finally {
      clock.mockRestore();
    }
    const [a, b] = [await shortPollCounters('burst'), await shortPollCounters('bursx')];
    expect(a.client).toEqual(b.client);
  }, 120_000);
});
