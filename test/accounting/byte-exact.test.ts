/**
 * Issue 3: every byte, request and message counted, per transport and per client.
 *
 * Each client runs through a byte-counting TCP proxy; what the proxy relayed must equal, to the
 * byte, what the server reports for that client (`GET /api/stats?client=`). Publishes go straight
 * to the server so they are not in the proxy's count.
 */
import { once } from 'node:events';
import http from 'node:http';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  emptyCounters,
  type FeedMessage,
  type StatsResponse,
  TRANSPORTS,
  type TransportName,
} from '../../contract/index.js';
import { resolveNetwork } from '../../contract/networks.js';
import { at, present } from '../../contract/present.js';
import { createStreamingFetch } from '../../tools/http-fetch.js';
import { startProxy, type TcpProxy } from '../../tools/tcp-proxy.js';
import { publish, type Running, startLab, until } from '../harness.js';
import { type Counts, countsOf, httpGet, pollJson, ServerSockets, stats, statsStreamFirst, sumBytes } from './wire.js';

let lab: Running;
let sockets: ServerSockets;
let proxy: TcpProxy;

beforeAll(async () => {
  // The WebSocket ping also ends a socket whose pong is one interval late (server/transports/ws-heartbeat.ts):
  // 250 ms, not 50, so a loaded machine's stall of a tenth of a second cannot end the socket under test.
  lab = await startLab({ sseHeartbeatMs: 50, wsPingMs: 250, socketIoPingMs: 250 });
  sockets = new ServerSockets(lab.app);
  // Warm the publish path (every transport's, Socket.IO's broadcast included) before any client
  // connects: a first call's compilation can hold the loop past the heartbeats below.
  await publish(lab.url, { warmUp: true });
});
afterAll(async () => {
  await lab.close();
});
afterEach(async () => {
  await proxy?.close();
});

/** The proxy's totals must equal the client's per-transport bytes, and the other transports stay at zero. */
function expectBytesMatch(report: StatsResponse, transport: TransportName, p: TcpProxy): void {
  const mine = report.transports[transport];
  expect({ bytesIn: mine.bytesIn, bytesOut: mine.bytesOut }).toEqual({
    bytesIn: p.totals.clientToServer,
    bytesOut: p.totals.serverToClient,
  });
  for (const other of TRANSPORTS) {
    if (other === transport) continue;
    expect(countsOf(report.transports[other]), `${other} untouched`).toEqual(countsOf(emptyCounters()));
  }
}

/**
 * Direct, and through a shaped network (tools/shaper.ts): delay, jitter and a bandwidth cap
 * change when bytes arrive, never which bytes — so the counts are the same either way.
 * (20 ms RTT: the server's 250 ms WebSocket ping must still be answered in time.)
 */
const NETWORKS = [
  { through: 'directly', shaping: {} },
  {
    through: 'through a shaped network (4g, 20 ms RTT ± 5 ms)',
    shaping: { network: resolveNetwork('4g', { rttMs: 20, jitterMs: 5 }) },
  },
];

describe.each(NETWORKS)('per-transport bytes equal a TCP proxy’s count, to the byte, $through', ({ shaping }) => {
  it('short-poll: polls with and without messages over a keep-alive socket', async () => {
    proxy = await startProxy({ upstreamPort: lab.port, ...shaping });
    const client = `exact-sp${shaping.network ? '-shaped' : ''}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const base = `${proxy.url}/api/poll?client=${client}`;

    const first = await pollJson(base, agent); // live only: nothing
    const epoch = first.epoch;
    let since = first.head;
    const delivered: FeedMessage[] = [];
    await publish(lab.url, { n: 1 });
    await publish(lab.url, { n: 2, text: 'ünïcødé' });
    await publish(lab.url, { n: 3 });
    const second = await pollJson(`${base}&since=${since}&epoch=${epoch}`, agent);
    expect(second.messages).toHaveLength(3);
    delivered.push(...second.messages);
    since = second.head;
    const third = await pollJson(`${base}&since=${since}&epoch=${epoch}`, agent);
    expect(third.messages).toHaveLength(0);
    await publish(lab.url, { n: 4 });
    const fourth = await pollJson(`${base}&since=${since}&epoch=${epoch}`, agent);
    expect(fourth.messages).toHaveLength(1);
    delivered.push(...fourth.messages);
    // A refused poll is still a request on the wire, and still this client's bytes.
    expect((await httpGet(`${base}&since=abc`, agent)).status).toBe(400);

    agent.destroy();
    await sockets.allClosed(proxy);
    expect(proxy.connections).toHaveLength(1);

    const report = await stats(lab.url, client);
    expectBytesMatch(report, 'short-poll', proxy);
    expect(countsOf(report.transports['short-poll'])).toMatchObject({
      requests: 5,
      emptyResponses: 2,
      messages: 4,
      payloadBytes: sumBytes(delivered),
    } satisfies Partial<Counts>);
    expect(report.transports['short-poll'].connections).toBe(0);
  });

  it('long-poll: an empty timeout answer, a held poll answered by a publish, a backlog', async () => {
    proxy = await startProxy({ upstreamPort: lab.port, ...shaping });
    const client = `exact-lp${shaping.network ? '-shaped' : ''}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const base = `${proxy.url}/api/long-poll?client=${client}`;

    const empty = await pollJson(`${base}&timeout=200`, agent);
    expect(empty.messages).toEqual([]);
    const { epoch, head } = empty;

    const held = pollJson(`${base}&since=${head}&epoch=${epoch}&timeout=10000`, agent);
    await untilAsync(
      async () => (await stats(lab.url, client)).transports['long-poll'].connections === 1,
      'the poll to be held',
    );
    await publish(lab.url, { n: 1 });
    const answered = await held;
    expect(answered.messages).toHaveLength(1);

    await publish(lab.url, { n: 2 });
    await publish(lab.url, { n: 3 });
    const backlog = await pollJson(`${base}&since=${head}&epoch=${epoch}&timeout=10000`, agent);
    expect(backlog.messages).toHaveLength(3);

    agent.destroy();
    await sockets.allClosed(proxy);
    expect(proxy.connections).toHaveLength(1);

    const report = await stats(lab.url, client);
    expectBytesMatch(report, 'long-poll', proxy);
    expect(countsOf(report.transports['long-poll'])).toMatchObject({
      requests: 3,
      emptyResponses: 1,
      messages: 4,
      payloadBytes: sumBytes([...answered.messages, ...backlog.messages]),
    } satisfies Partial<Counts>);
    expect(report.transports['long-poll'].connections).toBe(0);
  });

  it('sse: response head, retry, messages, heartbeats and chunk framing', async () => {
    proxy = await startProxy({ upstreamPort: lab.port, capture: true, ...shaping });
    const client = `exact-sse${shaping.network ? '-shaped' : ''}`;
    const es = new EventSource(`${proxy.url}/api/sse?client=${client}`, { fetch: createStreamingFetch() });
    const received: FeedMessage[] = [];
    es.onmessage = (event) => received.push(JSON.parse(event.data) as FeedMessage);
    await once(es, 'open');
    await untilAsync(
      async () => (await stats(lab.url, client)).transports.sse.connections === 1,
      'the stream to be registered',
    );

    for (let n = 1; n <= 3; n++) await publish(lab.url, { n, pad: 'x'.repeat(n * 100) });
    await until(() => received.length === 3, 10_000, 'three SSE messages');
    const heartbeats = () =>
      Buffer.concat(at(proxy.connections, 0, 'proxied connections').captured.serverToClient)
        .toString()
        .split(': heartbeat\n\n').length - 1;
    await until(() => heartbeats() >= 3, 10_000, 'three heartbeats');

    es.close();
    await sockets.allClosed(proxy);
    expect(proxy.connections).toHaveLength(1);

    const report = await stats(lab.url, client);
    expectBytesMatch(report, 'sse', proxy);
    expect(countsOf(report.transports.sse)).toMatchObject({
      requests: 1,
      emptyResponses: 0,
      messages: 3,
      payloadBytes: sumBytes(received),
    } satisfies Partial<Counts>);
    expect(report.transports.sse.connections).toBe(0);
  });

  it('websocket: upgrade, messages, server and client pings, a masked echo frame, the close handshake', async () => {
    proxy = await startProxy({ upstreamPort: lab.port, ...shaping });
    const client = `exact-ws${shaping.network ? '-shaped' : ''}`;
    const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/api/ws?client=${client}`);
    const frames: Record<string, unknown>[] = [];
    let pingsFromServer = 0;
    let pongsFromServer = 0;
    ws.on('message', (raw) => frames.push(JSON.parse(raw.toString()) as Record<string, unknown>));
    ws.on('ping', () => {
      pingsFromServer += 1;
    });
    ws.on('pong', () => {
      pongsFromServer += 1;
    });
    await once(ws, 'open');
    await until(() => frames.some((f) => f.type === 'hello'), 10_000, 'hello');

    for (let n = 1; n <= 3; n++) await publish(lab.url, { n, pad: 'y'.repeat(n * 60) }); // 126+ byte frames too
    const feed = () => frames.filter((f) => !('type' in f)) as unknown as FeedMessage[];
    await until(() => feed().length === 3, 10_000, `three WebSocket messages: ${JSON.stringify(frames).slice(0, 600)}`);

    ws.ping(Buffer.from('client ping'));
    await until(() => pongsFromServer === 1, 10_000, 'the pong');
    await until(() => pingsFromServer >= 2, 10_000, 'two server pings');
    ws.send(JSON.stringify({ type: 'echo', note: 'masked, client to server', pad: 'z'.repeat(200) }));
    await until(() => frames.some((f) => f.type === 'echo'), 10_000, 'the echo');

    ws.close(1000, 'done');
    await once(ws, 'close');
    await sockets.allClosed(proxy);
    expect(proxy.connections).toHaveLength(1);

    const report = await stats(lab.url, client);
    expectBytesMatch(report, 'websocket', proxy);
    expect(countsOf(report.transports.websocket)).toMatchObject({
      requests: 1,
      emptyResponses: 0,
      messages: 3,
      payloadBytes: sumBytes(feed()),
    } satisfies Partial<Counts>);
    expect(report.transports.websocket.connections).toBe(0);
  });

  it('socket.io: Engine.IO polling requests, the upgrade, 2/3 heartbeats, events, an acknowledged echo', async () => {
    proxy = await startProxy({ upstreamPort: lab.port, capture: true });
    const client = `exact-sio${shaping.network ? '-shaped' : ''}`;
    const socket = io(proxy.url, { path: '/socket.io/', query: { client }, reconnection: false, forceNew: true });
    const received: FeedMessage[] = [];
    socket.on('feed', (message: FeedMessage) => received.push(message));
    await new Promise((resolve) => socket.once('hello', resolve));
    // Long polling first, then the upgrade: wait until Engine.IO runs on the WebSocket.
    await until(() => socket.io.engine.transport.name === 'websocket', 10_000, 'the upgrade');

    for (let n = 1; n <= 3; n++) await publish(lab.url, { n, pad: 'y'.repeat(n * 60) });
    await until(() => received.length === 3, 10_000, 'three Socket.IO events');
    let pings = 0;
    socket.io.engine.on('ping', () => {
      pings += 1;
    });
    await until(() => pings >= 2, 10_000, 'two Engine.IO pings');
    expect(await socket.timeout(5_000).emitWithAck('echo', { pad: 'z'.repeat(200) })).toEqual({ pad: 'z'.repeat(200) });

    socket.disconnect();
    await sockets.allClosed(proxy);

    const report = await stats(lab.url, client);
    expectBytesMatch(report, 'socket.io', proxy);
    // Every HTTP request the proxy carried (polls, posts, the upgrade) is counted once.
    const upstream = proxy.connections.map((c) => Buffer.concat(c.captured.clientToServer).toString('latin1')).join('');
    const httpRequests = upstream.match(/(?:GET|POST) \/socket\.io\/\?/g)?.length ?? 0;
    expect(httpRequests).toBeGreaterThanOrEqual(3); // handshake, CONNECT post, a poll, the upgrade…
    expect(countsOf(report.transports['socket.io'])).toMatchObject({
      requests: httpRequests,
      emptyResponses: 0,
      messages: 3,
      payloadBytes: sumBytes(received),
    } satisfies Partial<Counts>);
    expect(report.transports['socket.io'].connections).toBe(0);
  });
});

describe('two transports sharing one keep-alive socket', () => {
  it('attributes each request’s bytes to its own transport and client', async () => {
    proxy = await startProxy({ upstreamPort: lab.port });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const zero = () => ({ requests: 0, emptyResponses: 0, messages: 0, payloadBytes: 0, bytesIn: 0, bytesOut: 0 });
    const expected = { a: zero(), b: zero() };
    // Requests are strictly sequential, so the proxy's count between two answers is one request's.
    const measured = async (who: 'a' | 'b', url: string, whileHeld?: () => Promise<void>) => {
      const before = proxy.totals;
      const pending = pollJson(url, agent);
      if (whileHeld) await whileHeld();
      const answer = await pending;
      const after = proxy.totals;
      const e = expected[who];
      e.bytesIn += after.clientToServer - before.clientToServer;
      e.bytesOut += after.serverToClient - before.serverToClient;
      e.requests += 1;
      e.messages += answer.messages.length;
      e.payloadBytes += sumBytes(answer.messages);
      if (answer.messages.length === 0) e.emptyResponses += 1;
      return answer;
    };
    const state = (await (await fetch(`${lab.url}/api/feed`)).json()) as { epoch: string; head: number };
    const cursor = { a: state.head, b: state.head };
    const pollA = async () => {
      cursor.a = (await measured('a', `${proxy.url}/api/poll?client=a&since=${cursor.a}&epoch=${state.epoch}`)).head;
    };
    const pollB = async (whileHeld?: () => Promise<void>) => {
      const url = `${proxy.url}/api/long-poll?client=b&since=${cursor.b}&epoch=${state.epoch}&timeout=${whileHeld ? 10_000 : 100}`;
      cursor.b = (await measured('b', url, whileHeld)).head;
    };

    await pollA(); // empty
    await pollB(); // empty: times out after 100 ms
    await publish(lab.url, { n: 1 });
    await pollA(); // 1
    await pollB(); // 1, at once
    await pollA(); // empty
    // b held on the shared socket, answered by a publish
    await pollB(async () => {
      await untilAsync(
        async () => (await stats(lab.url, 'b')).transports['long-poll'].connections === 1,
        'b to be held',
      );
      await publish(lab.url, { n: 2, pad: 'q'.repeat(300) });
    }); // 2
    await pollA(); // 2
    await publish(lab.url, { n: 3 });
    await publish(lab.url, { n: 4 });
    await pollB(); // 3, 4
    await pollA(); // 3, 4

    agent.destroy();
    await sockets.allClosed(proxy);
    expect(proxy.connections).toHaveLength(1); // one socket carried everything

    const [a, b] = await Promise.all([stats(lab.url, 'a'), stats(lab.url, 'b')]);
    const sp = a.transports['short-poll'];
    const lp = b.transports['long-poll'];
    expect(sp.bytesIn + lp.bytesIn).toBe(proxy.totals.clientToServer);
    expect(sp.bytesOut + lp.bytesOut).toBe(proxy.totals.serverToClient);
    expect(countsOf(sp)).toEqual(expected.a);
    expect(countsOf(lp)).toEqual(expected.b);
    expect(expected.a).toMatchObject({ requests: 5, emptyResponses: 2, messages: 4 });
    expect(expected.b).toMatchObject({ requests: 4, emptyResponses: 1, messages: 4 });
    // Neither client leaks into the other's transport.
    expect(countsOf(a.transports['long-poll'])).toEqual(countsOf(emptyCounters()));
    expect(countsOf(b.transports['short-poll'])).toEqual(countsOf(emptyCounters()));
  });
});

describe('stats traffic is never a transport’s', () => {
  it('keeps the four transports at zero while `other` grows, to the byte', async () => {
    const quiet = await startLab({});
    const quietSockets = new ServerSockets(quiet.app);
    const p = await startProxy({ upstreamPort: quiet.port });
    try {
      // Through the proxy, all as client x; straight to the server, no client id.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const paths = ['/api/stats', '/metrics', '/api/feed', '/api/time'];
      let proxied = 0;
      let direct = 0;
      for (let i = 0; i < 4; i++) {
        for (const path of paths) {
          expect((await httpGet(`${p.url}${path}?client=x`, agent)).status).toBe(200);
          proxied += 1;
          expect((await fetch(`${quiet.url}${path}${i % 2 === 0 ? '' : '?client=y'}`)).status).toBe(200);
          direct += 1;
        }
        // The dashboard's live stats stream, read for two pushes, then dropped.
        const stream = http.get(`${p.url}/api/stats/stream?client=x&interval=100&clients=x,y`, { agent });
        const [response] = (await once(stream, 'response')) as [http.IncomingMessage];
        proxied += 1;
        let pushes = 0;
        response.on('data', (chunk: Buffer) => {
          pushes += chunk.toString().split('\n\n').length - 1;
        });
        await until(() => pushes >= 2, 10_000, 'two stats pushes');
        stream.destroy();
      }
      agent.destroy();
      await quietSockets.allClosed(p);

      // Read x's counters from a stream that is not x's own, so the reading does not add to them.
      const { clients } = await statsStreamFirst(quiet.url, ['x']);
      const totals = await stats(quiet.url);
      const x = present(clients.x, "the stream's report of x");
      for (const name of TRANSPORTS) {
        expect(countsOf(totals.transports[name]), `total ${name}`).toEqual(countsOf(emptyCounters()));
        expect(countsOf(x.transports[name]), `x ${name}`).toEqual(countsOf(emptyCounters()));
      }
      expect(x.other).toEqual({
        requests: proxied,
        bytesIn: p.totals.clientToServer,
        bytesOut: p.totals.serverToClient,
      });
      expect(totals.other.requests).toBe(proxied + direct + 2); // + the stream we read x from, + this /api/stats
      expect(totals.other.bytesIn).toBeGreaterThan(x.other.bytesIn);
    } finally {
      await p.close();
      await quiet.close();
    }
  });
});

/** `until` for an async predicate (a stats read), polling without overlapping reads. */
async function untilAsync(predicate: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
