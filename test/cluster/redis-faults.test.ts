/**
 * What a broker's faults do to the lab: a Redis that loses its stream (FLUSHALL, or a restart
 * with persistence off, as a failover to an empty replica) gives every client on every transport
 * a `reset` with reason `epoch`; a Redis unreachable at start stops the process with a clear
 * error and exit code 2; unreachable mid-run, publishes are refused with 503
 * `LAB_FEED_UNAVAILABLE` (WebSocket: an error frame), the instance keeps serving, and when Redis
 * returns the feed goes on.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cluster/free-port.js';
import { type RedisProcess, startRedis } from '../../cluster/redis-process.js';
import { LISTENING, startChild } from '../../tools/child-process.js';
import { publish, type Running, range, SseProbe, startLab, until, WsProbe } from '../harness.js';
import { requireSystemTool } from '../system-tool.js';

let redis: RedisProcess;
const labs: Running[] = [];
beforeAll(async () => {
  redis = await startRedis({ binary: requireSystemTool('redis-server') });
});
afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.close();
});
afterAll(async () => {
  await redis?.remove();
});

/** Every transport, live on instance `lab`, recording messages and resets. */
async function liveClients(lab: Running, epoch: string, since: number) {
  const cursor = `?since=${since}&epoch=${epoch}`;
  const ws = await WsProbe.open(lab.url, cursor);
  const sse = new SseProbe(lab.url, cursor);
  const longPoll = fetch(`${lab.url}/api/long-poll${cursor}&timeout=20000`).then((res) => res.json());
  await until(() => lab.app.lab.accounting.openStreams === 3, 5_000, 'three streams open');
  return { ws, sse, longPoll };
}

describe('Redis lost its stream', () => {
  it('FLUSHALL: every transport on every instance gets a reset "epoch", then the new feed', async () => {
    const a = await startLab({ redisUrl: redis.url, instance: 'A' });
    const b = await startLab({ redisUrl: redis.url, instance: 'B' });
    labs.push(a, b);
    const before = await publish(a.url, { n: 1 });
    await until(() => b.app.lab.feed.head === before.seq, 5_000, 'B at the head');
    const onA = await liveClients(a, before.epoch, before.seq);
    const onB = await liveClients(b, before.epoch, before.seq);

    const admin = new Redis(redis.url);
    await admin.flushall();
    await admin.quit();
    // Nobody publishes: the instances notice on their own (an idle XREAD loop checks the epoch).
    await until(
      () => a.app.lab.feed.epoch !== before.epoch && b.app.lab.feed.epoch !== before.epoch,
      10_000,
      'new epoch',
    );
    const epoch = a.app.lab.feed.epoch;
    expect(b.app.lab.feed.epoch).toBe(epoch);
    const after = await publish(b.url, { n: 'new' });
    expect(after).toEqual({ epoch, seq: 1 });

    for (const side of [onA, onB]) {
      await until(() => side.ws.controls('reset').length === 1 && side.sse.resets.length === 1, 5_000, 'resets');
      expect(side.ws.controls('reset')[0]).toEqual({ type: 'reset', reason: 'epoch', epoch, from: 1 });
      expect(side.sse.resets[0]).toEqual({ reason: 'epoch', epoch, from: 1 });
      const poll = await side.longPoll;
      expect(poll.reset).toEqual({ reason: 'epoch', epoch, from: 1 });
      await until(() => side.ws.messages().length === 1 && side.sse.messages.length === 1, 5_000, 'the new message');
      expect(side.ws.messages()[0]).toMatchObject({ epoch, seq: 1 });
      expect(side.sse.messages[0]).toMatchObject({ epoch, seq: 1 });
      side.ws.ws.close();
      side.sse.close();
    }
    // A short poll with the old cursor is told too.
    const poll = await (await fetch(`${a.url}/api/poll?since=${before.seq}&epoch=${before.epoch}`)).json();
    expect(poll.reset).toMatchObject({ reason: 'epoch', epoch });
  });
});

describe('Redis unreachable', () => {
  it('at start: a clear error naming the URL, and exit code 2', async () => {
    const port = await freePort();
    // A generous start: on a busy 2-core machine tsx compiles for a while before the process can fail.
    const args = ['--import', 'tsx', 'server/main.ts', '--port', '0', '--https-port', '0', '--paused'];
    const error = await startChild([...args, '--redis', `redis://127.0.0.1:${port}`], LISTENING, {}, 90_000).then(
      () => null,
      (failure: Error) => failure.message,
    );
    expect(error).toMatch(/exited 2 before listening/);
    expect(error).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`);
    expect(error).toMatch(/ECONNREFUSED/);
  }, 120_000);

  it('mid-run: publishes refused with a documented 503 (WS: error frame), reads go on, and it recovers', async () => {
    await redis.restart(); // empty
    const lab = await startLab({ redisUrl: redis.url, instance: 'A' });
    labs.push(lab);
    const first = await publish(lab.url, { n: 1 });
    const ws = await WsProbe.open(lab.url, `?since=0&epoch=${first.epoch}`);
    await until(() => ws.messages().length === 1, 5_000, 'the first message');

    await redis.stop();
    await until(() => !lab.app.lab.backend.status().connected, 5_000, 'the instance to notice');
    const refused = await fetch(`${lab.url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: 2 }),
    });
    expect(refused.status).toBe(503);
    expect((await refused.json()).code).toBe('LAB_FEED_UNAVAILABLE');
    ws.ws.send(JSON.stringify({ type: 'publish', data: 'while down' }));
    await until(() => ws.controls('error').length === 1, 5_000, 'an error frame');
    expect(ws.controls('error')[0]).toMatchObject({ code: 'LAB_FEED_UNAVAILABLE' });
    // The instance still serves what it holds, and reports the outage.
    const poll = await (await fetch(`${lab.url}/api/poll?since=0&epoch=${first.epoch}`)).json();
    expect(poll.messages).toHaveLength(1);
    const state = await (await fetch(`${lab.url}/api/feed`)).json();
    expect(state.backend).toMatchObject({ kind: 'redis', connected: false });
    expect(state.backend.publishFailures).toBeGreaterThanOrEqual(1);

    // Redis returns empty (persistence is off): a new epoch, announced to the open socket.
    await redis.restart();
    await until(() => lab.app.lab.backend.status().connected, 10_000, 'reconnected');
    await until(() => ws.controls('reset').length === 1, 10_000, 'the epoch reset');
    expect(ws.controls('reset')[0]).toMatchObject({ reason: 'epoch', from: 1 });
    const again = await publish(lab.url, { n: 'back' });
    expect(again.seq).toBe(1);
    expect(again.epoch).not.toBe(first.epoch);
    await until(() => ws.messages().length === 2, 5_000, 'the message after recovery');
    expect(ws.messages()[1]).toMatchObject({ epoch: again.epoch, seq: 1 });
    expect(ws.closeCode).toBeNull();
    ws.ws.close();
  });

  it('frozen (connected, not answering): a publish is refused after a bounded wait, and the feed goes on after', async () => {
    await redis.restart(); // empty
    const lab = await startLab({ redisUrl: redis.url, instance: 'F' });
    labs.push(lab);
    const first = await publish(lab.url, { n: 1 });
    const pid = redis.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      const refused = await fetch(`${lab.url}/api/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: 'while frozen' }),
      });
      expect(refused.status).toBe(503);
      expect((await refused.json()).code).toBe('LAB_FEED_UNAVAILABLE');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Redis kept its data: the same epoch goes on, nobody is reset. The refused publish was already
    // on its way to Redis and ran when it woke (a timeout cannot take a sent command back): the
    // publisher was told 503, the feed holds it anyway — with no gap (docs/scale-out.md).
    const next = await publish(lab.url, { n: 2 });
    expect(next.epoch).toBe(first.epoch);
    expect([first.seq + 1, first.seq + 2]).toContain(next.seq);
    await until(() => lab.app.lab.feed.head === next.seq, 5_000, 'the replica at the head');
    expect(lab.app.lab.feed.after(0).map((entry) => entry.seq)).toEqual(range(1, next.seq));
  });
});
