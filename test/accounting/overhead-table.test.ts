/**
 * Bytes on the wire per delivered message, per transport, for ten messages of ~100 bytes of
 * message JSON each: measured (in + out, everything from the first request to the last close)
 * beside the protocol floor `/api/stats` reports. Prints the table; asserts the relations a
 * student should see.
 *
 * Each client is alone on its own connection(s), through a byte-counting proxy that must agree with
 * the server; every message is delivered before the next is published (one message per poll
 * answer: the best case for polling).
 */
import { once } from 'node:events';
import http from 'node:http';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { FeedMessage, TransportName, TransportStats } from '../../contract/index.js';
import { at } from '../../contract/present.js';
import { createStreamingFetch } from '../../tools/http-fetch.js';
import { startProxy, type TcpProxy } from '../../tools/tcp-proxy.js';
import { publish, type Running, startLab, until } from '../harness.js';
import { pollJson, ServerSockets, stats } from './wire.js';

const MESSAGES = 10;
const TARGET_BYTES = 100;

let lab: Running;
let sockets: ServerSockets;
let epoch = '';
beforeAll(async () => {
  lab = await startLab({});
  sockets = new ServerSockets(lab.app);
  epoch = ((await (await fetch(`${lab.url}/api/feed`)).json()) as { epoch: string }).epoch;
});
afterAll(async () => {
  await lab.close();
});

/**
 * Publish one message whose JSON is ~100 bytes: `{"epoch":"…","seq":N,"ts":T,"data":{"p":"…"}}`.
 * Only `ts`'s length is unknown in advance (its sub-millisecond digits vary): assume 18 characters.
 */
async function publishSized(seq: number): Promise<void> {
  const fixed = `{"epoch":"${epoch}","seq":${seq},"ts":${'1'.repeat(18)},"data":{"p":""}}`.length;
  await publish(lab.url, { p: 'x'.repeat(TARGET_BYTES - fixed) });
}

let head = 0;
const next = () => (head += 1);

type Row = { transport: string; stats: TransportStats };

async function runWebSocket(base: string): Promise<void> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/ws?client=tbl-ws`);
  let messages = 0;
  ws.on('message', (raw) => {
    if (!('type' in JSON.parse(raw.toString()))) messages += 1;
  });
  await once(ws, 'open');
  for (let i = 1; i <= MESSAGES; i++) {
    await publishSized(next());
    await until(() => messages === i, 10_000, `websocket message ${i}`);
  }
  ws.close(1000);
  await once(ws, 'close');
}

async function runSse(base: string): Promise<void> {
  const es = new EventSource(`${base}/api/sse?client=tbl-sse`, { fetch: createStreamingFetch() });
  let messages = 0;
  es.onmessage = () => {
    messages += 1;
  };
  await once(es, 'open');
  await until(() => lab.app.lab.accounting.ledger.read('tbl-sse').sse.connections === 1, 10_000, 'the stream');
  for (let i = 1; i <= MESSAGES; i++) {
    await publishSized(next());
    await until(() => messages === i, 10_000, `sse message ${i}`);
  }
  es.close();
}

async function runLongPoll(base: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let since = head;
  for (let i = 1; i <= MESSAGES; i++) {
    const answer = pollJson(`${base}/api/long-poll?client=tbl-lp&since=${since}&epoch=${epoch}&timeout=10000`, agent);
    await until(
      () => lab.app.lab.accounting.ledger.read('tbl-lp')['long-poll'].connections === 1,
      10_000,
      'the held poll',
    );
    await publishSized(next());
    const messages: FeedMessage[] = (await answer).messages;
    expect(messages).toHaveLength(1);
    since = at(messages, 0, 'the answer').seq;
  }
  agent.destroy();
}

async function runShortPoll(base: string, client: string, emptyPollsPerMessage: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let since = head;
  const poll = () => pollJson(`${base}/api/poll?client=${client}&since=${since}&epoch=${epoch}`, agent);
  for (let i = 1; i <= MESSAGES; i++) {
    for (let e = 0; e < emptyPollsPerMessage; e++) expect((await poll()).messages).toHaveLength(0);
    await publishSized(next());
    const answer = await poll();
    expect(answer.messages).toHaveLength(1);
    since = at(answer.messages, 0, 'the answer').seq;
  }
  agent.destroy();
}

/**
 * Run one client through its own byte-counting proxy; once the server has seen its sockets close,
 * its stats (which must match the proxy to the byte) are final.
 */
async function measure(
  client: string,
  transport: TransportName,
  run: (base: string) => Promise<void>,
): Promise<TransportStats> {
  const proxy: TcpProxy = await startProxy({ upstreamPort: lab.port });
  try {
    await run(proxy.url);
    await sockets.allClosed(proxy);
    const mine = (await stats(lab.url, client)).transports[transport];
    expect({ bytesIn: mine.bytesIn, bytesOut: mine.bytesOut }, `${client} against the proxy`).toEqual({
      bytesIn: proxy.totals.clientToServer,
      bytesOut: proxy.totals.serverToClient,
    });
    return mine;
  } finally {
    await proxy.close();
  }
}

describe('bytes per delivered message, ~100-byte messages, 10 each', () => {
  it('prints the table; websocket < sse < long-poll, and the floor is never above the measurement', async () => {
    const rows: Row[] = [
      { transport: 'websocket', stats: await measure('tbl-ws', 'websocket', runWebSocket) },
      { transport: 'sse', stats: await measure('tbl-sse', 'sse', runSse) },
      { transport: 'long-poll', stats: await measure('tbl-lp', 'long-poll', runLongPoll) },
      {
        transport: 'short-poll',
        stats: await measure('tbl-sp', 'short-poll', (base) => runShortPoll(base, 'tbl-sp', 0)),
      },
      {
        transport: 'short-poll, 2 empty polls/msg',
        stats: await measure('tbl-sp3', 'short-poll', (base) => runShortPoll(base, 'tbl-sp3', 2)),
      },
    ];

    const fmt = (n: number) => n.toFixed(1).padStart(8);
    const lines = [
      `${'transport'.padEnd(30)} ${'msgs'.padStart(4)} ${'reqs'.padStart(4)} ${'empty'.padStart(5)} ${'payload'.padStart(8)} ${'bytesIn'.padStart(8)} ${'bytesOut'.padStart(8)} ${'wire/msg'.padStart(8)} ${'ovh/msg'.padStart(8)} ${'floor'.padStart(8)}`,
    ];
    for (const { transport, stats: s } of rows) {
      const o = s.overhead;
      if (!o) throw new Error(`${transport}: no messages`);
      lines.push(
        `${transport.padEnd(30)} ${String(s.messages).padStart(4)} ${String(s.requests).padStart(4)} ${String(s.emptyResponses).padStart(5)} ${fmt(o.payloadPerMessage)} ${String(s.bytesIn).padStart(8)} ${String(s.bytesOut).padStart(8)} ${fmt(o.wirePerMessage)} ${fmt(o.overheadPerMessage)} ${fmt(o.floorOverheadPerMessage)}`,
      );
    }
    console.log(`\n${lines.join('\n')}\n`);

    const by = (name: string) => rows.find((r) => r.transport === name)?.stats.overhead;
    for (const { transport, stats: s } of rows) {
      expect(s.messages, transport).toBe(MESSAGES);
      const o = s.overhead;
      if (!o) throw new Error(transport);
      expect(Math.abs(o.payloadPerMessage - TARGET_BYTES), `${transport} payload size`).toBeLessThanOrEqual(4);
      expect(o.floorOverheadPerMessage, `${transport} floor ≤ measured`).toBeLessThanOrEqual(o.overheadPerMessage);
      expect(o.floorOverheadPerMessage, transport).toBeGreaterThan(0);
    }
    const ws = by('websocket');
    const sse = by('sse');
    const lp = by('long-poll');
    const sp = by('short-poll');
    const sp3 = by('short-poll, 2 empty polls/msg');
    if (!ws || !sse || !lp || !sp || !sp3) throw new Error('missing row');
    expect(ws.wirePerMessage).toBeLessThan(sse.wirePerMessage);
    expect(sse.wirePerMessage).toBeLessThan(lp.wirePerMessage);
    expect(sp.wirePerMessage).toBeLessThan(sp3.wirePerMessage); // empty polls cost bytes, and deliver nothing
  });
});
