/**
 * Issue 10: the hot paths do their work once, counted — never timed. A publish builds one
 * WebSocket frame per codec and one SSE event whatever the number of streams; a burst of messages leaves
 * each socket in one write; a publish wakes exactly the held long polls, once each, with one
 * body; the ledger's per-client memory stays bounded. (Bytes and counts on the wire are checked
 * by test/accounting/byte-exact.test.ts, which must stay green with all of this.)
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import net from 'node:net';
import { decode } from '@msgpack/msgpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { emptyCounters } from '../contract/index.js';
import { Ledger, MAX_CLIENTS, REORDER_MS } from '../server/accounting/ledger.js';
import { Feed, type FeedEntry } from '../server/feed/feed.js';
import { hotPath } from '../server/transports/fan-out.js';
import { streamSlots } from '../server/transports/long-poll-slots.js';
import { sseEvent, sseWire } from '../server/transports/sse-event.js';
import { type TickBatch, TickFanOut, type TickWire } from '../server/transports/tick-batch.js';
import { WS_WIRE, wsFrame } from '../server/transports/ws-frame.js';
import { type Running, startLab, until } from './harness.js';

let lab: Running;
/** The server's side of every connection, by the client's port, with its count of socket writes. */
const serverSockets = new Map<number, { socket: Socket; writes: number }>();

beforeAll(async () => {
  lab = await startLab();
  lab.app.server.on('connection', (socket: Socket) => {
    const entry = { socket, writes: 0 };
    serverSockets.set(socket.remotePort as number, entry);
    // Every write handed to libuv (one write or writev system call) goes through _writeGeneric.
    const internals = socket as unknown as { _writeGeneric: (...args: unknown[]) => unknown };
    const original = internals._writeGeneric;
    internals._writeGeneric = function (this: Socket, ...args: unknown[]) {
      entry.writes += 1;
      return original.apply(this, args);
    };
  });
});
afterAll(async () => {
  await lab.close();
});

const feed = () => lab.app.lab.feed;
const publishBurst = (count: number) => {
  for (let i = 0; i < count; i++) feed().publish({ burst: i });
};
const writesOf = (localPort: number) => serverSockets.get(localPort)?.writes ?? Number.NaN;

describe('SSE: one event per message, one write per socket per tick', () => {
  it('builds each event once for five streams; a tick of 10 or of 1 leaves each socket in one write', async () => {
    const streams = await Promise.all(
      Array.from({ length: 5 }, (_, i) => {
        return new Promise<{ text: () => string; port: number; request: http.ClientRequest }>((resolve) => {
          let text = '';
          const request = http.get(`${lab.url}/api/sse?client=hot-sse-${i}`, (response) => {
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              text += chunk;
            });
            resolve({ text: () => text, port: response.socket.localPort as number, request });
          });
        });
      }),
    );
    await until(() => streams.every((s) => s.text().includes('event: hello')), 10_000, 'hello events');
    const eventsBefore = hotPath.sseEventsBuilt;
    const batchesBefore = hotPath.sseBatchesBuilt;
    const liveWritesBefore = hotPath.sseLiveWrites;
    let writesBefore = streams.map((s) => writesOf(s.port));
    const writes = () => streams.map((s, i) => writesOf(s.port) - (writesBefore[i] as number));

    publishBurst(10);
    const dataLines = (s: { text: () => string }) =>
      s
        .text()
        .split('\n')
        .filter((l) => l.startsWith('data: ') && l.includes('"seq":'));
    await until(() => streams.every((s) => dataLines(s).length === 10), 10_000, 'ten events on every stream');

    expect(hotPath.sseEventsBuilt - eventsBefore).toBe(10);
    // The tick's ten chunks concatenated once (tick-batch.ts), written once to each chunked socket.
    expect(hotPath.sseBatchesBuilt - batchesBefore).toBe(1);
    expect(hotPath.sseLiveWrites - liveWritesBefore).toBe(5);
    expect(writes()).toEqual([1, 1, 1, 1, 1]);

    // A tick with one event (an idle feed's every tick): its chunk is written as built, no batch.
    writesBefore = streams.map((s) => writesOf(s.port));
    publishBurst(1);
    await until(() => streams.every((s) => dataLines(s).length === 11), 10_000, 'one more event on every stream');
    expect(hotPath.sseEventsBuilt - eventsBefore).toBe(11);
    expect(hotPath.sseBatchesBuilt - batchesBefore).toBe(1);
    expect(hotPath.sseLiveWrites - liveWritesBefore).toBe(10);
    expect(writes()).toEqual([1, 1, 1, 1, 1]);
    for (const s of streams)
      expect(dataLines(s).map((l) => JSON.parse(l.slice(6)).data.burst)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
    for (const s of streams) s.request.destroy();
    await until(() => lab.app.lab.accounting.openStreams === 0, 10_000, 'streams closed');
  });
});

describe('SSE: a live event goes on the wire exactly as res.write would frame it', () => {
  /** A raw TCP client: the bytes the server put on the wire, chunk framing included. */
  const rawStream = (version: '1.1' | '1.0', client: string) =>
    new Promise<{ bytes: () => string; socket: net.Socket }>((resolve, reject) => {
      const socket = net.connect(lab.port, '127.0.0.1', () => {
        socket.write(`GET /api/sse?client=${client} HTTP/${version}\r\nHost: 127.0.0.1\r\n\r\n`);
        resolve({ bytes: () => text, socket });
      });
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.once('error', reject);
    });

  it('HTTP/1.1: each event is one chunk, `<hex length>\\r\\n<event>\\r\\n`; HTTP/1.0: the event alone', async () => {
    const chunked = await rawStream('1.1', 'hot-sse-raw-11');
    const plain = await rawStream('1.0', 'hot-sse-raw-10');
    await until(
      () => [chunked, plain].every((s) => s.bytes().includes('event: hello')),
      10_000,
      'hello events on both',
    );
    const marks = [chunked.bytes().length, plain.bytes().length];
    const entries = [feed().publish({ raw: 1 }), feed().publish({ raw: 2 })];
    const events = entries.map((entry) => sseEvent(entry, feed().epoch));
    const framed = events.map((event) => `${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`).join('');
    await until(() => chunked.bytes().length >= (marks[0] as number) + framed.length, 10_000, 'two chunks');
    await until(() => plain.bytes().length >= (marks[1] as number) + events.join('').length, 10_000, 'two events');
    expect(chunked.bytes().slice(marks[0])).toBe(framed);
    expect(plain.bytes().slice(marks[1])).toBe(events.join(''));
    chunked.socket.destroy();
    plain.socket.destroy();
    await until(() => lab.app.lab.accounting.openStreams === 0, 10_000, 'streams closed');
  });
});

/** ws's own framer (exported at runtime, not in @types/ws): the reference for wsFrame. */
const { Sender } = WebSocket as unknown as {
  Sender: { frame(data: Buffer, options: Record<string, boolean | number>): Buffer[] };
};

describe('WebSocket: one frame per message and codec, one write per burst', () => {
  it('builds exactly the frame ws would build, text and binary, for every length class', () => {
    for (const length of [0, 1, 125, 126, 65_535, 65_536]) {
      const text = 'x'.repeat(length);
      for (const [payload, opcode] of [
        [text, 1],
        [Buffer.from(text), 2],
      ] as const) {
        const expected = Buffer.concat(
          Sender.frame(Buffer.from(payload), { fin: true, rsv1: false, opcode, mask: false, readOnly: false }),
        );
        expect(wsFrame(payload, opcode).equals(expected)).toBe(true);
      }
    }
  });

  it('frames a burst once per codec for all sockets; each plain socket gets it in one write', async () => {
    const open = (i: number, protocol: string | null, compress: boolean) =>
      new Promise<{ ws: WebSocket; frames: unknown[]; port: number; plain: boolean }>((resolve, reject) => {
        const query = `client=hot-ws-${i}${compress ? '&compress=1' : ''}`;
        const ws = new WebSocket(`${lab.url.replace('http', 'ws')}/api/ws?${query}`, protocol ?? [], {
          perMessageDeflate: compress,
        });
        const frames: unknown[] = [];
        ws.on('message', (raw: Buffer, isBinary) => frames.push(isBinary ? decode(raw) : JSON.parse(raw.toString())));
        ws.once('open', () =>
          resolve({
            ws,
            frames,
            port: (ws as unknown as { _socket: Socket })._socket.localPort as number,
            plain: ws.extensions === '',
          }),
        );
        ws.once('error', reject);
      });
    const clients = await Promise.all([
      ...[0, 1, 2].map((i) => open(i, null, false)),
      ...[3, 4].map((i) => open(i, 'lab.v1.json', false)),
      ...[5, 6, 7].map((i) => open(i, 'lab.v1.msgpack', false)),
      ...[8, 9].map((i) => open(i, null, true)),
    ]);
    expect(clients.map((c) => c.plain)).toEqual([true, true, true, true, true, true, true, true, false, false]);
    await until(() => clients.every((c) => c.frames.length === 1), 10_000, 'hello frames');
    const framesBefore = hotPath.wsFramesBuilt;
    const batchesBefore = hotPath.wsBatchesBuilt;
    const liveWritesBefore = hotPath.wsLiveWrites;
    let writesBefore = clients.map((c) => writesOf(c.port));
    const plainWrites = () =>
      clients.filter((c) => c.plain).map((c) => writesOf(c.port) - (writesBefore[clients.indexOf(c)] as number));

    publishBurst(10);
    await until(() => clients.every((c) => c.frames.length === 11), 10_000, 'ten messages on every socket');

    // 10 JSON text frames + 10 MessagePack binary frames, for 8 plain sockets; the two deflate
    // sockets compress their own (ws frames them).
    expect(hotPath.wsFramesBuilt - framesBefore).toBe(20);
    // The tick's ten frames concatenated once per codec (tick-batch.ts), one write per plain socket.
    expect(hotPath.wsBatchesBuilt - batchesBefore).toBe(2);
    expect(hotPath.wsLiveWrites - liveWritesBefore).toBe(8);
    expect(plainWrites()).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);

    // A tick with one message (an idle feed's every tick): its frame is written as built, no batch.
    writesBefore = clients.map((c) => writesOf(c.port));
    publishBurst(1);
    await until(() => clients.every((c) => c.frames.length === 12), 10_000, 'one more message on every socket');
    expect(hotPath.wsFramesBuilt - framesBefore).toBe(22);
    expect(hotPath.wsBatchesBuilt - batchesBefore).toBe(2);
    expect(hotPath.wsLiveWrites - liveWritesBefore).toBe(16);
    expect(plainWrites()).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    // Every codec carries the same ten messages, in order.
    for (const c of clients) {
      expect(c.frames.slice(1).map((f) => (f as { data: { burst: number } }).data.burst)).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0,
      ]);
    }
    for (const c of clients) c.ws.close();
    await until(() => lab.app.lab.accounting.openStreams === 0, 10_000, 'sockets closed');
  });
});

describe('tick fan-out: a subscriber that joins mid-tick gets no message twice and misses none', () => {
  // The one batcher of both streaming transports (tick-batch.ts), with each one's wire bytes.
  const wires = [
    { name: 'WebSocket frames', wire: () => WS_WIRE, kind: 'lab.v1.json' as const },
    { name: 'SSE chunks', wire: (feed: Feed) => sseWire(feed), kind: 'chunk' as const },
    { name: 'SSE bare events', wire: (feed: Feed) => sseWire(feed), kind: 'event' as const },
  ];
  it.each(wires)('$name: skips exactly what its catch-up already sent (queued before it joined)', async (w) => {
    type Kind = typeof w.kind;
    const feed = new Feed(100);
    const wire = w.wire(feed) as TickWire<Kind>;
    const fanOut = new TickFanOut<Kind>(feed, wire);
    const got = (name: string) => ({
      name,
      skip: 0,
      seqs: [] as number[],
      bytes: [] as Buffer[],
      deliver(batch: TickBatch<Kind>, start: number) {
        this.seqs.push(...batch.entries.slice(start).map((entry) => entry.seq));
        this.bytes.push(batch.bytes(w.kind, start));
      },
      reset() {},
    });
    const published: FeedEntry[] = [];
    const early = got('early');
    fanOut.add(early);
    published.push(feed.publish({ n: 1 }), feed.publish({ n: 2 }));
    // Joins in the same tick, after its catch-up read the head (seq 2): it has 1 and 2 already.
    const late = got('late');
    expect(feed.head).toBe(2);
    fanOut.add(late);
    expect(late.skip).toBe(2);
    published.push(feed.publish({ n: 3 }));
    await new Promise((resolve) => process.nextTick(resolve));
    expect(early.seqs).toEqual([1, 2, 3]);
    expect(late.seqs).toEqual([3]);
    // The next tick: both get everything.
    published.push(feed.publish({ n: 4 }));
    await new Promise((resolve) => process.nextTick(resolve));
    expect(early.seqs).toEqual([1, 2, 3, 4]);
    expect(late.seqs).toEqual([3, 4]);
    // Byte for byte each message's own bytes, back to back.
    const own = (seq: number) => wire.bytesOf(published[seq - 1] as FeedEntry, w.kind);
    expect(Buffer.concat(early.bytes).equals(Buffer.concat([1, 2, 3, 4].map(own)))).toBe(true);
    expect(Buffer.concat(late.bytes).equals(Buffer.concat([3, 4].map(own)))).toBe(true);
    // A one-message tick: one Buffer for every subscriber, not a copy each.
    expect(late.bytes[1]).toBe(early.bytes[1]);
  });

  it.each(wires)('$name: a reset flushes what waits first, so the notice comes after the messages before it', (w) => {
    type Kind = typeof w.kind;
    const feed = new Feed(100);
    const fanOut = new TickFanOut<Kind>(feed, w.wire(feed) as TickWire<Kind>);
    const log: string[] = [];
    fanOut.add({
      skip: 0,
      deliver: (batch, start) => log.push(`messages ${batch.entries.slice(start).map((entry) => entry.seq)}`),
      reset: (notice) => log.push(`reset ${notice.reason} from ${notice.from}`),
    });
    feed.publish({ n: 1 });
    feed.publish({ n: 2 });
    // A broker's new epoch in the same tick (server/feed/feed.ts): nothing waits for the tick's end.
    feed.adoptEpoch('newepoch', 0);
    expect(log).toEqual(['messages 1,2', 'reset epoch from 1']);
  });
});

describe('long poll: a publish wakes exactly the held polls, once each, with one body', () => {
  it('five held polls: one hold timer, five wakeups, one body built, five identical answers', async () => {
    const head = feed().head;
    const held = lab.app.lab.accounting.openStreams;
    const timersBefore = hotPath.longPollTimersArmed;
    const answers = Array.from(
      { length: 5 },
      (_, i) =>
        new Promise<string>((resolve, reject) => {
          http
            // A timeout no other test holds a poll with: its deadline queue is this test's alone.
            .get(`${lab.url}/api/long-poll?since=${head}&timeout=19999&client=hot-lp-${i}`, (response) => {
              let body = '';
              response.setEncoding('utf8');
              response.on('data', (chunk: string) => {
                body += chunk;
              });
              response.on('end', () => resolve(body));
            })
            .on('error', reject);
        }),
    );
    await until(() => lab.app.lab.accounting.openStreams === held + 5, 10_000, 'five held polls');
    // Five polls held with one timeout share one timer (hold-deadlines.ts), not a timer each.
    expect(hotPath.longPollTimersArmed - timersBefore).toBe(1);
    const wakeupsBefore = hotPath.longPollWakeups;
    const bodiesBefore = hotPath.longPollBodiesBuilt;

    feed().publish({ wake: 1 });
    const bodies = await Promise.all(answers);

    expect(hotPath.longPollWakeups - wakeupsBefore).toBe(5);
    expect(hotPath.longPollBodiesBuilt - bodiesBefore).toBe(1);
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0] as string).messages.map((m: { seq: number }) => m.seq)).toEqual([head + 1]);
    // Answered polls leave the index: the next publish wakes nobody.
    feed().publish({ wake: 2 });
    expect(hotPath.longPollWakeups - wakeupsBefore).toBe(5);
  });
});

describe('long poll: a poll whose timeout passes is answered once, empty, by its deadline queue', () => {
  it('three polls with a short timeout: three empty answers, no wakeup, none left held', async () => {
    const head = feed().head;
    const wakeupsBefore = hotPath.longPollWakeups;
    const answers = [1, 2, 3].map((i) =>
      fetch(`${lab.url}/api/long-poll?since=${head}&timeout=150&client=hot-expire-${i}`).then((r) => r.json()),
    );
    const bodies = (await Promise.all(answers)) as { head: number; messages: unknown[] }[];
    expect(bodies.map((b) => b.messages.length)).toEqual([0, 0, 0]);
    expect(bodies.map((b) => b.head)).toEqual([head, head, head]);
    expect(hotPath.longPollWakeups).toBe(wakeupsBefore);
    await until(() => lab.app.lab.accounting.openStreams === 0, 10_000, 'the expired polls released');
  });
});

describe('long poll: held again and again, every publish wakes the poll held at that moment', () => {
  it('three rounds of hold, publish, answer: one wakeup and one message each, one stream slot for all', async () => {
    const slotsBefore = streamSlots.made;
    for (let round = 1; round <= 3; round++) {
      const head = feed().head;
      const wakeupsBefore = hotPath.longPollWakeups;
      const answer = fetch(`${lab.url}/api/long-poll?since=${head}&timeout=20000&client=hot-again`).then((r) =>
        r.json(),
      );
      await until(() => lab.app.lab.accounting.openStreams === 1, 10_000, `held poll ${round}`);
      feed().publish({ round });
      const body = (await answer) as { messages: { seq: number }[] };
      expect(body.messages.map((m) => m.seq)).toEqual([head + 1]);
      expect(hotPath.longPollWakeups - wakeupsBefore).toBe(1);
      await until(() => lab.app.lab.accounting.openStreams === 0, 10_000, 'the answered poll released');
    }
    // The accounting counts a held poll through a slot reused from poll to poll (long-poll-slots.ts):
    // at most one is made for three polls held one after another (none when an earlier test left one).
    expect(streamSlots.made - slotsBefore).toBeLessThanOrEqual(1);
  });
});

describe('ledger: per-client memory stays bounded', () => {
  it('remembers at most MAX_CLIENTS clients, forgetting the least recently active', () => {
    const ledger = new Ledger();
    for (let i = 0; i < MAX_CLIENTS + 5; i++)
      ledger.addDelivered({ bucket: 'sse', client: `c${i}`, held: null }, 1, 10);
    expect(ledger.clientCount).toBe(MAX_CLIENTS);
    expect(ledger.read('c0').sse.messages).toBe(0);
    expect(ledger.read(`c${MAX_CLIENTS + 4}`).sse).toMatchObject({ messages: 1, payloadBytes: 10 });
    expect(ledger.read().sse).toMatchObject({ messages: MAX_CLIENTS + 5, payloadBytes: 10 * (MAX_CLIENTS + 5) });
  });

  it('holds a counter set only for the buckets a client used; reading fills in the rest as zeros', () => {
    const ledger = new Ledger();
    for (let i = 0; i < 100; i++) ledger.addDelivered({ bucket: 'websocket', client: `w${i}`, held: null }, 2, 20);
    ledger.add({ bucket: 'other', client: 'w0', held: null }, 'requests', 1);
    ledger.add({ bucket: 'websocket', client: 'w0', held: null }, 'bytesOut', 7);
    // 100 clients of one transport, one of them also in `other`: 101 sets, not 100 × 6.
    expect(ledger.clientBucketCount).toBe(101);
    const w0 = ledger.read('w0');
    expect(w0.websocket).toMatchObject({ messages: 2, payloadBytes: 20, bytesOut: 7 });
    expect(w0.other.requests).toBe(1);
    expect(w0.sse).toEqual(emptyCounters());
    expect(ledger.read('never-seen').websocket).toEqual(emptyCounters());
    // A copy: changing it changes nothing inside.
    w0.websocket.messages = 99;
    expect(ledger.read('w0').websocket.messages).toBe(2);
  });

  it('forgets the least recently active to within REORDER_MS: a client moves up at most that often', () => {
    let now = 0;
    const ledger = new Ledger(() => now);
    const touch = (client: string) => ledger.add({ bucket: 'short-poll', client, held: null }, 'requests', 1);
    const fill = (from: number, to: number) => {
      for (let i = from; i < to; i++) touch(`c${i}`);
    };
    fill(0, MAX_CLIENTS);
    // Active again within REORDER_MS of its last move: not moved, so still the oldest, and the
    // next new client forgets it — though its activity is the latest (the documented slack).
    now = REORDER_MS;
    touch('c0');
    fill(MAX_CLIENTS, MAX_CLIENTS + 1);
    expect(ledger.read('c0')['short-poll'].requests).toBe(0);
    expect(ledger.clientCount).toBe(MAX_CLIENTS);
    // Active more than REORDER_MS after its last move: moved to the young end, so c2 goes, not c1.
    now = REORDER_MS + 1;
    touch('c1');
    fill(MAX_CLIENTS + 1, MAX_CLIENTS + 2);
    expect(ledger.read('c1')['short-poll'].requests).toBe(2);
    expect(ledger.read('c2')['short-poll'].requests).toBe(0);
    // Oldest move first: c3 … c9999 and c10000 (which came before c1 moved) go, then c1.
    fill(MAX_CLIENTS + 2, 2 * MAX_CLIENTS);
    expect(ledger.read(`c${MAX_CLIENTS - 1}`)['short-poll'].requests).toBe(0);
    expect(ledger.read(`c${MAX_CLIENTS}`)['short-poll'].requests).toBe(0);
    expect(ledger.read('c1')['short-poll'].requests).toBe(2);
    fill(2 * MAX_CLIENTS, 2 * MAX_CLIENTS + 1);
    expect(ledger.read('c1')['short-poll'].requests).toBe(0);
    expect(ledger.clientCount).toBe(MAX_CLIENTS);
  });

  it('counts several updates of one client in a row once in the order (the once-per-response shortcut)', () => {
    let now = 0;
    const ledger = new Ledger(() => now);
    const fill = (from: number, to: number) => {
      for (let i = from; i < to; i++) ledger.add({ bucket: 'short-poll', client: `c${i}`, held: null }, 'requests', 1);
    };
    fill(0, MAX_CLIENTS);
    // c0 is the least recent; three updates in a row, past REORDER_MS, make it the most recent, once.
    now = 2 * REORDER_MS;
    for (const counter of ['requests', 'bytesIn', 'bytesOut'] as const)
      ledger.add({ bucket: 'short-poll', client: 'c0', held: null }, counter, 1);
    fill(MAX_CLIENTS, MAX_CLIENTS + 1); // evicts c1, the least recent now
    expect(ledger.read('c0')['short-poll']).toMatchObject({ requests: 2, bytesIn: 1, bytesOut: 1 });
    expect(ledger.read('c1')['short-poll'].requests).toBe(0);
    // The client touched last and then evicted is forgotten for good: a new update starts from zero.
    fill(MAX_CLIENTS + 1, 2 * MAX_CLIENTS + 1);
    ledger.add({ bucket: 'short-poll', client: 'c0', held: null }, 'requests', 1);
    expect(ledger.read('c0')['short-poll'].requests).toBe(1);
    expect(ledger.clientCount).toBe(MAX_CLIENTS);
  });
});
