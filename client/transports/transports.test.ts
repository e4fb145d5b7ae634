/**
 * The four client transports against the real server (server/app.ts), over real sockets, with
 * the real injected constructors Node users pass: globalThis.fetch, ws, eventsource.
 * Every wait is on a client event, never on a sleep.
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EventSource } from 'eventsource';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type FeedMessage,
  type FeedState,
  type ResetNotice,
  TRANSPORTS,
  type TransportName,
} from '../../contract/index.js';
import { DeliveryAudit } from '../audit.js';
import { ControlClient } from '../control.js';
import {
  type ClientState,
  createClient,
  type FeedClient,
  type FeedClientError,
  type FeedClientOptions,
  type WebSocketClient,
  type WireEntry,
} from './index.js';

const SERVER_APP = fileURLToPath(new URL('../../server/app.ts', import.meta.url));
const hasServer = existsSync(SERVER_APP);

interface App {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

let app: App | undefined;
let baseUrl = '';

async function startServer(options: object): Promise<App> {
  const { buildApp } = (await import('../../server/app.js')) as { buildApp: (options: object) => Promise<App> };
  return buildApp(options);
}

beforeAll(async () => {
  if (!hasServer) return;
  app = await startServer({});
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
});

const running: FeedClient[] = [];
afterEach(() => {
  for (const client of running.splice(0)) client.stop();
});

/* ------------------------------------------------------------------ helpers */

function publish(data: unknown): Promise<{ epoch: string; seq: number }> {
  return new ControlClient(baseUrl).publish(data);
}

async function publishMany(count: number, tag: string): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) seqs.push((await publish({ tag, i })).seq);
  return seqs;
}

async function feedState(): Promise<FeedState> {
  return (await (await fetch(`${baseUrl}/api/feed`)).json()) as FeedState;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A client under test, with everything it emitted recorded. */
class Recorder {
  readonly messages: FeedMessage[] = [];
  readonly raws: string[] = [];
  readonly resets: ResetNotice[] = [];
  readonly states: ClientState[] = [];
  readonly errors: FeedClientError[] = [];
  readonly wire: WireEntry[] = [];
  /** Resets and messages, in the order they were emitted. */
  readonly order: string[] = [];
  readonly audit = new DeliveryAudit();
  private readonly waiters = new Set<() => void>();

  constructor(readonly client: FeedClient) {
    client.on('message', (msg, raw, receivedAt) => {
      expect(receivedAt).toBeGreaterThan(msg.ts - 1_000);
      this.messages.push(msg);
      this.raws.push(raw);
      this.order.push(`m${msg.seq}`);
      this.audit.record(msg);
      this.poke();
    });
    client.on('reset', (notice) => {
      this.resets.push(notice);
      this.order.push(`reset:${notice.reason}`);
      this.audit.reset(notice);
      this.poke();
    });
    client.on('state', (state) => {
      this.states.push(state);
      this.poke();
    });
    client.on('error', (error) => {
      this.errors.push(error);
      this.poke();
    });
    client.on('wire', (entry) => this.wire.push(entry));
  }

  get seqs(): number[] {
    return this.messages.map((m) => m.seq);
  }

  /** Resolves once `predicate` holds, re-checked on every event the client emits. */
  until(predicate: () => boolean, what: string, timeoutMs = 8_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `${this.client.transport}: timed out waiting for ${what}; state ${this.client.state}, seqs [${this.seqs.join(',')}], errors [${this.errors.map((e) => e.message).join('; ')}]`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** The next time the client enters `state`. */
  nextState(state: ClientState, what = `state ${state}`): Promise<void> {
    const seen = this.states.length;
    return this.until(() => this.states.slice(seen).includes(state), what);
  }

  private poke(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function options(transport: TransportName, overrides: Partial<FeedClientOptions> = {}): FeedClientOptions {
  return {
    baseUrl,
    clientId: `test-${transport}-${Math.random().toString(36).slice(2, 8)}`,
    resume: true,
    pollIntervalMs: 20,
    longPollTimeoutMs: 300,
    // A fixed 150 ms reconnect delay: long enough to publish into the gap, short for a test.
    reconnect: { baseMs: 150, capMs: 150, random: () => 1 },
    fetch: globalThis.fetch,
    WebSocket,
    EventSource,
    ...overrides,
  };
}

function start(transport: TransportName, overrides: Partial<FeedClientOptions> = {}): Recorder {
  const client = createClient(transport, options(transport, overrides));
  running.push(client);
  const recorder = new Recorder(client);
  client.start();
  return recorder;
}

/** Start from the feed's current head, so every message published afterwards is expected. */
async function startAtHead(transport: TransportName, overrides: Partial<FeedClientOptions> = {}): Promise<Recorder> {
  const feed = await feedState();
  return start(transport, { cursor: { epoch: feed.epoch, seq: feed.head }, ...overrides });
}

/**
 * The cut tests publish while the client is away, and check that it still is: a fixed 1 s backoff
 * (the default full jitter may draw a few ms) keeps that premise true on a busy machine too.
 */
const AWAY_LONG_ENOUGH = { baseMs: 1_000, capMs: 1_000, random: () => 0.999 };

/* ------------------------------------------------------------------ tests */

describe.skipIf(!hasServer).each(TRANSPORTS)('%s client against the real server', (transport) => {
  it('receives published messages, in order, each once, with the raw JSON and a wire log', async () => {
    const r = await startAtHead(transport);
    const seqs = await publishMany(5, 'basic');
    await r.until(() => r.messages.length >= 5, '5 messages');
    expect(r.seqs).toEqual(seqs);
    expect(r.audit.snapshot()).toMatchObject({ delivered: 5, lost: 0, duplicates: 0, reordered: 0, resets: 0 });
    expect(r.messages[0]?.data).toEqual({ tag: 'basic', i: 0 });
    expect(JSON.parse(r.raws[0] as string)).toEqual(r.messages[0]);
    expect(r.client.cursor).toEqual({ epoch: r.messages[0]?.epoch, seq: seqs[4] });
    expect(r.states[0]).toBe('connecting');
    expect(r.states).toContain('open');
    expect(r.wire.some((e) => e.direction === 'up' && e.kind === 'request')).toBe(true);
    expect(r.wire.filter((e) => e.direction === 'down').reduce((sum, e) => sum + e.bytes, 0)).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
  });

  it('starts live-only without a cursor and takes the feed position as its cursor', async () => {
    const r = start(transport);
    // Live only: ready when the server holds our subscription (stream open, hello, first poll answer).
    await r.nextState('open');
    if (transport === 'long-poll') await r.until(() => r.client.cursor !== null, 'a first (empty) answer');
    const [seq] = await publishMany(1, 'live');
    await r.until(() => r.messages.length >= 1, 'the live message');
    expect(r.seqs).toEqual([seq]);
    expect(r.resets).toEqual([]);
  });

  it('survives cut() with resume on: what was published meanwhile arrives, nothing twice', async () => {
    const r = await startAtHead(transport, { reconnect: AWAY_LONG_ENOUGH });
    const before = await publishMany(5, 'before-cut');
    await r.until(() => r.messages.length >= 5, 'the first 5');
    r.client.cut();
    expect(r.client.state).toBe('waiting');
    const during = await publishMany(5, 'during-cut');
    // The premise: those were published while the client was away.
    expect(r.client.state).toBe('waiting');
    await r.until(() => r.messages.length >= 10, 'the 5 published during the cut');
    const after = await publishMany(2, 'after-cut');
    await r.until(() => r.messages.length >= 12, 'the 2 after');
    expect(r.seqs).toEqual([...before, ...during, ...after]);
    expect(r.audit.snapshot()).toMatchObject({ delivered: 12, lost: 0, duplicates: 0, reordered: 0, resets: 0 });
  });

  it('shows loss after cut() with resume off: it comes back live-only', async () => {
    const r = await startAtHead(transport, { resume: false, reconnect: AWAY_LONG_ENOUGH });
    const before = await publishMany(3, 'before-cut');
    await r.until(() => r.messages.length >= 3, 'the first 3');
    r.client.cut();
    const reconnected = r.nextState('open', 'the live-only reconnect');
    const during = await publishMany(4, 'during-cut');
    expect(r.client.state).toBe('waiting');
    await reconnected;
    if (transport === 'long-poll') await r.until(() => r.client.cursor?.seq === during[3], 'the live-only answer');
    const after = await publishMany(3, 'after-cut');
    await r.until(() => r.messages.length >= 6, 'the 3 after');
    expect(r.seqs).toEqual([...before, ...after]);
    expect(r.audit.snapshot()).toMatchObject({ delivered: 6, lost: 4, duplicates: 0, resets: 0 });
    expect(r.audit.expectedFrom(before[0] as number, after[2] as number)).toEqual({
      expected: 10,
      delivered: 6,
      missing: 4,
    });
  });

  it('gets a reset on a cursor from another epoch, then the retained history from its start', async () => {
    await publishMany(2, 'history');
    const feed = await feedState();
    const other = feed.epoch === 'zzzz' ? 'yyyy' : 'zzzz';
    const r = start(transport, { cursor: { epoch: other, seq: 3 } });
    await r.until(() => r.messages.length >= feed.head - feed.oldest + 1, 'the retained history');
    expect(r.resets).toEqual([{ reason: 'epoch', epoch: feed.epoch, from: feed.oldest }]);
    expect(r.order[0]).toBe('reset:epoch');
    expect(r.seqs).toEqual(range(feed.oldest, feed.head));
    // And it carries on live in the new epoch.
    const [seq] = await publishMany(1, 'after-reset');
    await r.until(() => r.messages.at(-1)?.seq === seq, 'the next live message');
    expect(r.audit.snapshot()).toMatchObject({ lost: 0, duplicates: 0, resets: 1, epoch: feed.epoch });
  });

  it('gets a future reset on a cursor ahead of the head, then goes on live', async () => {
    const feed = await feedState();
    const r = start(transport, { cursor: { epoch: feed.epoch, seq: feed.head + 100 } });
    await r.until(() => r.resets.length >= 1, 'the future reset');
    expect(r.resets).toEqual([{ reason: 'future', epoch: feed.epoch, from: feed.head + 1 }]);
    expect(r.client.cursor).toEqual({ epoch: feed.epoch, seq: feed.head });
    // Live from here: the reset came with the live-only answer, hello or stream.
    const [seq] = await publishMany(1, 'after-future');
    await r.until(() => r.messages.length >= 1, 'the live message after the reset');
    expect(r.seqs).toEqual([seq]);
    expect(r.audit.snapshot()).toMatchObject({ delivered: 1, lost: 0, duplicates: 0, resets: 1 });
  });

  it('stop() closes for good: no reconnect, no more messages', async () => {
    const r = await startAtHead(transport);
    await publishMany(1, 'before-stop');
    await r.until(() => r.messages.length >= 1, 'one message');
    r.client.stop();
    expect(r.client.state).toBe('closed');
    await publishMany(2, 'after-stop');
    // A fresh client sees them: proof they went out while the stopped one stayed silent.
    const witness = await startAtHead(transport, {
      cursor: { epoch: r.messages[0]?.epoch as string, seq: r.seqs[0] as number },
    });
    await witness.until(() => witness.messages.length >= 2, 'the witness to see both');
    expect(r.messages).toHaveLength(1);
    expect(r.states.at(-1)).toBe('closed');
    expect(() => r.client.start()).toThrow(/stopped/);
  });
});

describe.skipIf(!hasServer)('websocket client extras', () => {
  it('measures an echo round trip on the feed socket', async () => {
    const r = start('websocket');
    await r.nextState('open');
    const client = r.client as WebSocketClient;
    const rtt = await client.sendEcho({ hello: 'there' });
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(rtt).toBeLessThan(1_000);
    expect(r.wire.some((e) => e.direction === 'down' && e.kind === 'control' && e.summary.startsWith('echo'))).toBe(
      true,
    );
  });

  it('publishes into the feed through its own socket', async () => {
    const r = await startAtHead('websocket');
    await r.nextState('open');
    const client = r.client as WebSocketClient;
    client.publish({ from: 'ws' });
    await r.until(() => r.messages.length >= 1, 'its own message back');
    expect(r.messages[0]?.data).toEqual({ from: 'ws' });
  });

  it('refuses publish and echo while not open', async () => {
    const client = createClient('websocket', options('websocket'));
    expect(() => client.publish(1)).toThrow(/not open/);
    await expect(client.sendEcho()).rejects.toThrow(/not open/);
  });
});

/** The delay the client announced for its next reconnect, from the wire log. */
function announcedDelays(r: Recorder): number[] {
  return r.wire.flatMap((e) => {
    const match = /^reconnect in (\d+) ms/.exec(e.summary);
    return match ? [Number(match[1])] : [];
  });
}

describe.skipIf(!hasServer)('overload: told to back off, a client waits instead of hammering', () => {
  it('sse: an in-band overload event', async () => {
    const small = await startServer({ maxStreams: 1 });
    try {
      const url = await small.listen({ port: 0, host: '127.0.0.1' });
      const first = start('sse', { baseUrl: url });
      await first.nextState('open');
      const second = start('sse', { baseUrl: url });
      await second.until(() => second.errors.some((e) => e.code === 'OVERLOAD'), 'the overload');
      expect(second.client.state).toBe('waiting');
      // The server advises 10 s ± 50 % (jitter, server/transports/sse.ts): at least 5 s.
      expect(announcedDelays(second).at(-1)).toBeGreaterThanOrEqual(5_000);
    } finally {
      for (const client of running.splice(0)) client.stop();
      await small.close();
    }
  });

  it('websocket: close 4429 after too many frames', async () => {
    const small = await startServer({ wsFramesPerSecond: 5 });
    try {
      const url = await small.listen({ port: 0, host: '127.0.0.1' });
      const r = start('websocket', { baseUrl: url });
      await r.nextState('open');
      const client = r.client as WebSocketClient;
      for (let i = 0; i < 20; i++) client.publish({ flood: i });
      await r.until(() => r.errors.some((e) => e.code === 'OVERLOAD' && e.closeCode === 4429), 'close 4429');
      expect(r.client.state).toBe('waiting');
      expect(announcedDelays(r).at(-1)).toBeGreaterThanOrEqual(1_000);
    } finally {
      for (const client of running.splice(0)) client.stop();
      await small.close();
    }
  });
});

describe('createClient', () => {
  it('needs the constructor its transport uses, and a valid client id', () => {
    const base = { baseUrl: 'http://127.0.0.1:1', clientId: 'ok', resume: true };
    expect(() => createClient('short-poll', base)).toThrow(/fetch/);
    expect(() => createClient('sse', base)).toThrow(/EventSource/);
    expect(() => createClient('websocket', base)).toThrow(/WebSocket/);
    expect(() => createClient('websocket', { ...base, WebSocket, clientId: 'no spaces' })).toThrow(/clientId/);
    expect(() => createClient('websocket', { ...base, WebSocket, baseUrl: '/relative' })).toThrow(/baseUrl/);
    expect(() => createClient('long-poll', { ...base, fetch, longPollTimeoutMs: 70_000 })).toThrow(/longPollTimeoutMs/);
    for (const transport of TRANSPORTS) {
      const client = createClient(transport, { ...base, fetch, WebSocket, EventSource });
      expect(client.transport).toBe(transport);
      expect(client.state).toBe('idle');
      expect(client.cursor).toBeNull();
    }
  });

  it('reconnects with backoff while the server is unreachable, and stops cleanly', async () => {
    for (const transport of TRANSPORTS) {
      // Port 1 refuses connections: each transport fails, reports, and schedules a retry.
      const client = createClient(transport, {
        baseUrl: 'http://127.0.0.1:1',
        clientId: 'unreachable',
        resume: true,
        reconnect: { baseMs: 10, capMs: 20 },
        fetch,
        WebSocket,
        EventSource,
      });
      const recorder = new Recorder(client);
      client.start();
      await recorder.until(() => recorder.errors.length >= 2, 'two failures');
      expect(recorder.states).toContain('connecting');
      client.stop();
      expect(client.state).toBe('closed');
    }
  });
});
