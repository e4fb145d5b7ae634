/**
 * What the broker costs per message is round trips (server/feed/redis-backend.ts): the instance that
 * publishes appends its own messages from the publish's answer, and its XREAD — which would wake
 * once per message only to bring what it already has — is re-sent at most every OWN_READ_GAP_MS.
 * Counted here, with a real redis-server: both replicas end with the same texts, contiguous, and
 * the publisher's XREAD answered far fewer times than it published; the other instance reads them all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisProcess, startRedis } from '../../cluster/redis-process.js';
import { OWN_READ_GAP_MS, type RedisBackend } from '../../server/feed/redis-backend.js';
import { publish, type Running, range, startLab, until } from '../harness.js';
import { requireSystemTool } from '../system-tool.js';

let redis: RedisProcess;
let a: Running;
let b: Running;
const reads = (lab: Running) => (lab.app.lab.backend as RedisBackend).reads;

beforeAll(async () => {
  redis = await startRedis({ binary: requireSystemTool('redis-server') });
  a = await startLab({ retention: 1_000, redisUrl: redis.url, instance: 'A' });
  b = await startLab({ retention: 1_000, redisUrl: redis.url, instance: 'B' });
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.remove();
});

describe('the publishing instance does not read its own messages back one by one', () => {
  it('60 publishes on A: every one on both replicas, byte for byte, in order; A answered by XREAD far fewer times', async () => {
    const start = a.app.lab.feed.head;
    const readsBefore = reads(a);
    // At the ticker's pace: one publish every 10 ms (100 msg/s), each answered after A's replica has it.
    const answers: Promise<void>[] = [];
    const began = performance.now();
    for (let i = 0; i < 60; i++) {
      answers.push(
        publish(a.url, { i }).then(({ seq }) => {
          expect(a.app.lab.feed.head).toBeGreaterThanOrEqual(seq);
        }),
      );
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(answers);
    const elapsedMs = performance.now() - began;
    const head = start + 60;
    await until(() => b.app.lab.feed.head === head, 10_000, 'B at the head');
    const texts = (lab: Running) => lab.app.lab.feed.after(start).map((e) => e.text);
    expect(a.app.lab.feed.after(start).map((e) => e.seq)).toEqual(range(start + 1, head));
    expect(texts(b)).toEqual(texts(a));
    // Without the gap A's XREAD wakes for each of its own publishes (~60 answers); with it, at most
    // one answer per gap over the time the publishes took (a slow machine only raises the bound).
    expect(reads(a) - readsBefore).toBeLessThanOrEqual(Math.ceil(elapsedMs / OWN_READ_GAP_MS) + 3);
    // A message published on B reaches A's clients through the XREAD (at most the gap later).
    const { seq } = await publish(b.url, { from: 'B' });
    await until(() => a.app.lab.feed.head === seq, 5_000, 'A reads B’s message');
    expect(a.app.lab.feed.after(seq - 1)[0]?.text).toBe(b.app.lab.feed.after(seq - 1)[0]?.text);
  });
});
