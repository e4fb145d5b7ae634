/**
 * A resuming client's catch-up larger than the slow-consumer bound (docs/contract.md, "Catch-up"):
 * it used to be written in one go, passed the bound before the client could read, and was cut —
 * SSE's stream destroyed, the WebSocket closed 4001 — so the client reconnected with almost the
 * same cursor and was cut again, never catching up. Now it is paced by the socket: one connection,
 * every message once, in order, then the live feed. A client that takes nothing of its catch-up
 * is still cut (4001), and resumes from its cursor with nothing lost.
 */
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Running, range, SseProbe, seqs, startLab, until, WsProbe } from './harness.js';

const labs: Running[] = [];
afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.close();
});

/** 32 KiB messages: the catch-up of `count` of them is `count / 2` MiB. */
const BIG = 'c'.repeat(32 * 1024);

async function labWithBacklog(count: number, options: Parameters<typeof startLab>[0] = {}): Promise<Running> {
  // A bound of 256 KiB: the 6 MiB backlog below is 24 times over it.
  const lab = await startLab({ slowConsumerBytes: 256 * 1024, retention: 1_000, ...options });
  labs.push(lab);
  for (let i = 0; i < count; i++) lab.app.lab.feed.publish({ big: BIG, i });
  return lab;
}

const BACKLOG = 192;
const LIVE = 5;

describe('a catch-up under the high-water mark', () => {
  // Written in one step: the hand-over to the live feed comes before the last write has left.
  it('SSE and WebSocket: live messages after it arrive once each', async () => {
    const lab = await startLab();
    labs.push(lab);
    for (let i = 0; i < 3; i++) lab.app.lab.feed.publish({ small: i });
    const sse = new SseProbe(lab.url, '?since=0&client=small-sse');
    const ws = await WsProbe.open(lab.url, '?since=0&client=small-ws');
    try {
      await until(() => sse.messages.length >= 3 && ws.messages().length >= 3, 10_000, 'the catch-up');
      // Let the catch-up's last write leave before the live messages are published.
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (let i = 0; i < LIVE; i++) lab.app.lab.feed.publish({ live: i });
      const fed = lab.app.lab.accounting.ledger;
      await until(
        () => fed.read('small-sse').sse.messages >= 3 + LIVE && fed.read('small-ws').websocket.messages >= 3 + LIVE,
        10_000,
        'the live messages sent',
      );
      await until(() => sse.messages.length >= 3 + LIVE && ws.messages().length >= 3 + LIVE, 10_000, 'live');
      await new Promise((resolve) => setTimeout(resolve, 100)); // a duplicate would be here by now
      expect(seqs(sse.messages)).toEqual(range(1, 3 + LIVE));
      expect(seqs(ws.messages())).toEqual(range(1, 3 + LIVE));
      expect(fed.read('small-sse').sse.messages).toBe(3 + LIVE);
      expect(fed.read('small-ws').websocket.messages).toBe(3 + LIVE);
    } finally {
      sse.close();
      ws.ws.close();
    }
  });
});

describe('a catch-up twenty times the slow-consumer bound', () => {
  it('SSE (eventsource): one stream, every message once and in order, then live', async () => {
    const lab = await labWithBacklog(BACKLOG);
    const probe = new SseProbe(lab.url, '?since=0&client=catch-up-sse');
    let hellos = 0;
    probe.es.addEventListener('hello', () => {
      hellos += 1;
    });
    try {
      await until(() => probe.messages.length >= BACKLOG, 30_000, 'the whole catch-up');
      for (let i = 0; i < LIVE; i++) lab.app.lab.feed.publish({ live: i });
      await until(() => probe.messages.length >= BACKLOG + LIVE, 30_000, 'the live messages after it');
      expect(seqs(probe.messages)).toEqual(range(1, BACKLOG + LIVE));
      expect(probe.resets).toEqual([]);
      // Cut even once, EventSource would have reconnected and said hello again.
      expect(hellos).toBe(1);
      expect(lab.app.lab.accounting.ledger.read('catch-up-sse').sse.connections).toBe(1);
    } finally {
      probe.close();
    }
  });

  it.each([
    ['plain', ''],
    ['permessage-deflate', '&compress=1'],
  ])('WebSocket (ws), %s: one connection, every message once and in order, then live', async (_name, extra) => {
    const lab = await labWithBacklog(BACKLOG);
    const probe = await WsProbe.open(lab.url, `?since=0&client=catch-up-ws${extra}`);
    try {
      await until(() => probe.messages().length >= BACKLOG, 30_000, 'the whole catch-up');
      for (let i = 0; i < LIVE; i++) lab.app.lab.feed.publish({ live: i });
      await until(() => probe.messages().length >= BACKLOG + LIVE, 30_000, 'the live messages after it');
      expect(seqs(probe.messages())).toEqual(range(1, BACKLOG + LIVE));
      expect(probe.controls('reset')).toEqual([]);
      expect(probe.closeCode).toBeNull();
      expect(probe.controls('hello')).toHaveLength(1);
    } finally {
      probe.ws.close();
    }
  });

  it('a WebSocket that takes nothing of its catch-up is cut with 4001, then resumes from its cursor: nothing lost', async () => {
    const lab = await labWithBacklog(BACKLOG, { catchUpStallMs: 500 });
    const probe = await WsProbe.open(lab.url, '?since=0&client=frozen');
    const tcp = (probe.ws as unknown as { _socket: net.Socket })._socket;
    tcp.pause();
    // The server waits on the kernel's buffers, which this reader no longer empties: after 0.5 s, cut.
    const [server] = [...lab.app.websocketServer.clients];
    await until(() => server?.readyState === server?.CLOSING, 30_000, 'the server to close it');
    tcp.resume();
    expect(await probe.closed()).toBe(4001);
    expect(probe.closeReason).toMatch(/slow consumer/);
    const got = seqs(probe.messages());
    expect(got).toEqual(range(1, got.length));
    expect(got.length).toBeLessThan(BACKLOG);
    const last = got.at(-1) ?? 0;
    const resumed = await WsProbe.open(lab.url, `?since=${last}&epoch=${lab.app.lab.feed.epoch}`);
    try {
      await until(() => resumed.messages().length === BACKLOG - last, 30_000, 'the rest');
      expect([...got, ...seqs(resumed.messages())]).toEqual(range(1, BACKLOG));
    } finally {
      resumed.ws.close();
    }
  });

  it('a catch-up that falls out of the retention ring meanwhile gets an explicit reset, never a silent gap', async () => {
    // 300 retained (9.6 MiB, more than the kernel's buffers hold for a reader that does not read).
    const retained = 300;
    const lab = await labWithBacklog(retained, { retention: retained, catchUpStallMs: 60_000 });
    const probe = await WsProbe.open(lab.url, '?since=0&client=evicted');
    const tcp = (probe.ws as unknown as { _socket: net.Socket })._socket;
    tcp.pause();
    // Wait until the catch-up stands still (the kernel's buffers are full), then move the feed a ring on.
    const sent = () => lab.app.lab.accounting.ledger.read('evicted').websocket.messages;
    await stands(sent);
    expect(sent()).toBeLessThan(retained);
    for (let i = 0; i < retained + 100; i++) lab.app.lab.feed.publish({ big: BIG, more: i });
    tcp.resume();
    const head = lab.app.lab.feed.head;
    await until(() => (probe.messages().at(-1)?.seq ?? 0) === head, 30_000, 'the head');
    const got = seqs(probe.messages());
    const [reset] = probe.controls('reset');
    expect(reset).toMatchObject({ reason: 'evicted', from: lab.app.lab.feed.oldest });
    const from = Number(reset?.from);
    // Before the reset: 1…k in order; after it: from…head; the reset names exactly the messages between.
    const before = got.filter((seq) => seq < from);
    expect(before).toEqual(range(1, before.length));
    expect(got.slice(before.length)).toEqual(range(from, head));
    expect(reset?.missed).toBe(from - 1 - before.length);
    expect(probe.closeCode).toBeNull();
    probe.ws.close();
  });
});

/** Resolves once `count()` is the same over 300 ms (the catch-up waits on a full socket). */
async function stands(count: () => number): Promise<void> {
  for (let previous = -1; ; ) {
    const now = count();
    if (now === previous && now > 0) return;
    previous = now;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
