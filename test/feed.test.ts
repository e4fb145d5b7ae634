/** The feed and its ticker: message shape, sizes, rates (fractional too), bursts, and the feed routes. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FEED_LIMITS } from '../contract/index.js';
import { at } from '../contract/present.js';
import { Feed } from '../server/feed/feed.js';
import { Ticker } from '../server/feed/ticker.js';
import { publish, type Running, startLab } from './harness.js';

describe('Feed', () => {
  it('serializes each message once, in the contract shape, with seq 1, 2, 3 …', () => {
    const feed = new Feed(3);
    const texts: string[] = [];
    feed.subscribe((entry) => texts.push(entry.text));
    feed.publish({ a: 1 });
    feed.publish('two');
    const parsed = texts.map((t) => JSON.parse(t));
    expect(parsed.map((m) => m.seq)).toEqual([1, 2]);
    expect(parsed[0]).toEqual({ epoch: feed.epoch, seq: 1, ts: expect.any(Number), data: { a: 1 } });
    expect(feed.epoch).toMatch(/^[0-9a-z]{1,16}$/);
    expect(at(feed.after(0), 1, 'feed').bytes).toBe(Buffer.byteLength(at(texts, 1, 'texts')));
  });

  it('keeps the last `retention` messages', () => {
    const feed = new Feed(3);
    for (let i = 0; i < 5; i++) feed.publish(i);
    expect(feed.oldest).toBe(3);
    expect(feed.after(0).map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('a new process is a new epoch', () => {
    expect(new Feed(1).epoch).not.toBe(new Feed(1).epoch);
  });
});

describe('Ticker (fake clock)', () => {
  beforeAll(() => {
    vi.useFakeTimers();
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('publishes at fractional rates: 0.2/s is one message every 5 s', () => {
    const feed = new Feed(100);
    const ticker = new Ticker(feed, { rate: 0.2, payloadBytes: 128, mode: 'steady', running: true });
    vi.advanceTimersByTime(4_900);
    expect(feed.head).toBe(0);
    vi.advanceTimersByTime(200);
    expect(feed.head).toBe(1);
    vi.advanceTimersByTime(20_000);
    expect(feed.head).toBe(5);
    ticker.stop();
  });

  it('keeps 1 000 msg/s by count, whatever the timer granularity', () => {
    const feed = new Feed(10_000);
    const ticker = new Ticker(feed, { rate: 1_000, payloadBytes: 128, mode: 'steady', running: true });
    vi.advanceTimersByTime(2_000);
    expect(feed.head).toBeGreaterThanOrEqual(1_990);
    expect(feed.head).toBeLessThanOrEqual(2_000);
    ticker.stop();
  });

  it('bursty mode releases ten at once', () => {
    const feed = new Feed(100);
    const sizes: number[] = [];
    let last = 0;
    const ticker = new Ticker(feed, { rate: 10, payloadBytes: 128, mode: 'bursty', running: true });
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(1_000);
      sizes.push(feed.head - last);
      last = feed.head;
    }
    expect(sizes).toEqual([10, 10, 10]);
    ticker.stop();
  });

  it('stop, and a changed rate, take effect at once', () => {
    const feed = new Feed(100);
    const ticker = new Ticker(feed, { rate: 10, payloadBytes: 128, mode: 'steady', running: true });
    vi.advanceTimersByTime(1_000);
    ticker.update({ running: false });
    const head = feed.head;
    vi.advanceTimersByTime(5_000);
    expect(feed.head).toBe(head);
    ticker.update({ running: true, rate: 2 });
    vi.advanceTimersByTime(1_000);
    expect(feed.head).toBe(head + 2);
    ticker.stop();
  });

  it.each([FEED_LIMITS.minPayloadBytes, 100, 128, 1_000, 16_384, FEED_LIMITS.maxPayloadBytes])(
    'payloadBytes %i is the size of the whole message JSON, within a few bytes',
    (payloadBytes) => {
      const feed = new Feed(100);
      const ticker = new Ticker(feed, { rate: 100, payloadBytes, mode: 'steady', running: true });
      vi.advanceTimersByTime(100);
      ticker.stop();
      for (const entry of feed.after(0)) expect(Math.abs(entry.bytes - payloadBytes)).toBeLessThanOrEqual(4);
    },
  );
});

describe('feed routes', () => {
  let lab: Running;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(() => lab.close());

  it('GET /api/feed tells the state; PUT changes any subset and answers the new state', async () => {
    const before = await (await fetch(`${lab.url}/api/feed`)).json();
    expect(before).toEqual({
      epoch: lab.app.lab.feed.epoch,
      head: 0,
      oldest: 1,
      retention: 10_000,
      rate: 1,
      payloadBytes: 128,
      mode: 'steady',
      running: false,
      backend: { kind: 'memory', instance: lab.app.lab.instance, connected: true, publishFailures: 0 },
    });
    const res = await fetch(`${lab.url}/api/feed`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate: 0.2, payloadBytes: 512 }),
    });
    expect(await res.json()).toMatchObject({ rate: 0.2, payloadBytes: 512, running: false });
  });

  it('POST /api/publish answers 201 with the epoch and seq', async () => {
    const first = await publish(lab.url, { x: 1 });
    const second = await publish(lab.url, [1, 2]);
    expect(first.epoch).toBe(lab.app.lab.feed.epoch);
    expect(second.seq).toBe(first.seq + 1);
  });

  it('GET /api/time is the server clock in ms with sub-ms precision', async () => {
    const before = performance.timeOrigin + performance.now();
    const { now } = await (await fetch(`${lab.url}/api/time`)).json();
    const after = performance.timeOrigin + performance.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  });
});
