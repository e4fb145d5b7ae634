/**
 * Two lab instances, one feed in a real redis-server: a cursor from one instance is valid on the
 * other, on every transport, by the same resume table as one instance (test/resume-rules.test.ts);
 * a long poll held on A is answered by a publish on B; SSE's Last-Event-ID from A is honoured by
 * B; seq stays contiguous whoever publishes; each instance reads Redis with ONE blocked XREAD,
 * however many clients it serves.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisProcess, startRedis } from '../../cluster/redis-process.js';
import { TRANSPORTS } from '../../contract/index.js';
import { publish, type Running, range, SseProbe, seqs, startLab, until, WsProbe } from '../harness.js';
import { requireSystemTool } from '../system-tool.js';
import { ask } from '../transport-probe.js';

const RETENTION = 5;
let redis: RedisProcess;
let a: Running;
let b: Running;
let epoch: string;

beforeAll(async () => {
  redis = await startRedis({ binary: requireSystemTool('redis-server') });
  a = await startLab({ retention: RETENTION, redisUrl: redis.url, instance: 'A' });
  b = await startLab({ retention: RETENTION, redisUrl: redis.url, instance: 'B' });
  // Published on both, alternately: seq is contiguous across instances.
  for (let i = 1; i <= 10; i++) {
    const answer = await publish(i % 2 ? a.url : b.url, { i });
    expect(answer.seq).toBe(i);
  }
  epoch = a.app.lab.feed.epoch;
  expect(b.app.lab.feed.epoch).toBe(epoch);
  await until(() => a.app.lab.feed.head === 10 && b.app.lab.feed.head === 10, 5_000, 'both replicas at 10');
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.remove();
});

describe('one feed, two instances', () => {
  it('both replicas hold the same texts, byte for byte', () => {
    const texts = (lab: Running) => lab.app.lab.feed.after(0).map((entry) => entry.text);
    expect(texts(a)).toEqual(texts(b));
    expect(texts(a)).toHaveLength(RETENTION);
  });

  it('every answer names its instance (X-Lab-Instance)', async () => {
    expect((await fetch(`${a.url}/api/feed`)).headers.get('x-lab-instance')).toBe('A');
    const state = await (await fetch(`${b.url}/api/feed`)).json();
    expect(state.backend).toEqual({ kind: 'redis', instance: 'B', connected: true, publishFailures: 0 });
  });

  it('a cursor from A that B has not read yet is not "future": B waits for its replica (bounded)', async () => {
    // A client that got `seq` from A asks B the same moment: B may not have read it from Redis yet.
    for (let round = 0; round < 5; round++) {
      const { seq } = await publish(a.url, { fresh: round });
      const res = await fetch(`${b.url}/api/poll?since=${seq}&epoch=${epoch}`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.head).toBeGreaterThanOrEqual(seq);
      expect(body.reset).toBeUndefined();
    }
  });

  it('a long poll held on A is answered by a publish on B', async () => {
    const head = a.app.lab.feed.head;
    const pending = fetch(`${a.url}/api/long-poll?since=${head}&epoch=${epoch}&timeout=20000`);
    await until(() => a.app.lab.accounting.openStreams === 1, 5_000, 'the poll held on A');
    const { seq } = await publish(b.url, { from: 'B' });
    const body = await (await pending).json();
    expect(seqs(body.messages)).toEqual([seq]);
    expect(body.messages[0].data).toEqual({ from: 'B' });
  });

  it("SSE: A's Last-Event-ID is honoured by B", async () => {
    const onA = new SseProbe(a.url, `?since=${a.app.lab.feed.head - 1}&epoch=${epoch}`);
    await until(() => onA.messages.length === 1, 5_000, 'a message on A');
    onA.close();
    const lastId = onA.lastEventIds.at(-1) as string;
    const { seq } = await publish(a.url, { after: lastId });
    const answer = await ask('sse', b.url, '', 1, { 'last-event-id': lastId });
    expect(seqs(answer.messages)).toEqual([seq]);
  });

  it('each instance reads Redis with one blocked XREAD, however many clients it serves', async () => {
    const probes = await Promise.all(range(1, 8).map((i) => WsProbe.open(i % 2 ? a.url : b.url)));
    const streams = range(1, 4).map((i) => new SseProbe(i % 2 ? a.url : b.url));
    await until(
      () => a.app.lab.accounting.openStreams + b.app.lab.accounting.openStreams === 12,
      5_000,
      '12 streams open',
    );
    const admin = new Redis(redis.url);
    const clients = (await admin.client('LIST')) as string;
    await admin.quit();
    const blockedXreads = clients.split('\n').filter((line) => /cmd=xread\b/.test(line));
    expect(blockedXreads).toHaveLength(2);
    for (const probe of probes) probe.ws.close();
    for (const stream of streams) stream.close();
  });
});

describe.each(TRANSPORTS)('the resume table across instances: %s (published via A, read on B)', (transport) => {
  // head is 17 now and the ring keeps 5 (9…13): the same rows as test/resume-rules.test.ts.
  const head = 17;
  it('same epoch, within retention: exactly since+1 … head', async () => {
    expect(b.app.lab.feed.head).toBe(head);
    const answer = await ask(transport, b.url, `?since=${head - 3}&epoch=${epoch}`, 3);
    expect(answer.reset).toBeNull();
    expect(seqs(answer.messages)).toEqual(range(head - 2, head));
  });

  it('evicted cursor: a reset with the number missed, then everything from oldest', async () => {
    const answer = await ask(transport, b.url, `?since=2&epoch=${epoch}`, RETENTION);
    expect(answer.reset).toEqual({
      reason: 'evicted',
      epoch,
      missed: head - RETENTION - 2,
      from: head - RETENTION + 1,
    });
    expect(seqs(answer.messages)).toEqual(range(head - RETENTION + 1, head));
  });

  it('cursor from another epoch: a reset "epoch"', async () => {
    const answer = await ask(transport, b.url, '?since=8&epoch=old0epoch', RETENTION);
    expect(answer.reset).toEqual({ reason: 'epoch', epoch, from: head - RETENTION + 1 });
    expect(seqs(answer.messages)).toEqual(range(head - RETENTION + 1, head));
  });

  it('a cursor ahead of Redis too is refused as future, the transport’s own way', async () => {
    const answer = await ask(transport, b.url, `?since=${head + 1}&epoch=${epoch}`, 0);
    expect(answer.messages).toEqual([]);
    if (transport === 'websocket') expect(answer.closeCode).toBe(4400);
    else if (transport === 'socket.io') expect(JSON.parse(answer.error as string).code).toBe('LAB_FUTURE_CURSOR');
    else if (transport === 'sse') expect(answer.reset).toEqual({ reason: 'future', epoch, from: head + 1 });
    else expect(answer.status).toBe(400);
  });
});
