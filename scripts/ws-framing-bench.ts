/**
 * What a WebSocket framing costs the server: JSON text vs MessagePack binary frames, with and
 * without permessage-deflate (RFC 7692), with context takeover and without. For each setting a
 * fresh lab process, N clients (ws) that offer it, M messages published through the API, then:
 *
 * - bytes per delivered message at the socket (the server's own count, `GET /api/stats`);
 * - server CPU per delivered message (/proc utime+stime of the lab process over the publishing
 *   phase ÷ messages × clients; the publishes' own HTTP cost is in it, the same for every setting);
 * - server memory per connection (VmRSS after the clients connected and received the first
 *   messages — zlib allocates on first use — minus before they connected, ÷ N).
 *
 * Messages are realistic JSON (words and numbers from a seeded generator, not a repeated pad,
 * which deflate would flatter). Results: results/ws-framing-bench/<time>/summary.json and a table.
 *
 *   npm run bench:ws-framing [-- --clients 100 --messages 300 --rate 100]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { StatsResponse } from '../contract/index.js';
import { readProc } from '../scenarios/proc-meter.js';
import { ROOT, startLabServer } from '../tools/child-process.js';

interface Setting {
  name: string;
  subprotocol: 'lab.v1.json' | 'lab.v1.msgpack';
  compress: boolean;
  /** What the client offers (ws's perMessageDeflate option). */
  offer: WebSocket.PerMessageDeflateOptions | false;
}

const SETTINGS: Setting[] = [
  { name: 'json', subprotocol: 'lab.v1.json', compress: false, offer: false },
  { name: 'msgpack', subprotocol: 'lab.v1.msgpack', compress: false, offer: false },
  { name: 'json+deflate', subprotocol: 'lab.v1.json', compress: true, offer: {} },
  { name: 'msgpack+deflate', subprotocol: 'lab.v1.msgpack', compress: true, offer: {} },
  {
    name: 'json+deflate, no context takeover',
    subprotocol: 'lab.v1.json',
    compress: true,
    offer: { serverNoContextTakeover: true },
  },
];

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    messages: { type: 'string', default: '300' },
    rate: { type: 'string', default: '100' },
  },
});
const CLIENTS = Number(values.clients);
const MESSAGES = Number(values.messages);
const RATE = Number(values.rate);

/** A seeded generator (mulberry32), so every run publishes the same messages. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'price order buyer seller market open close high low volume trade ticket update north south east west'.split(' ');

/** About 400 bytes of JSON: a small record like a real feed's, numbers and words. */
function makeData(random: () => number, n: number): unknown {
  const word = () => WORDS[Math.floor(random() * WORDS.length)];
  return {
    kind: 'trade',
    n,
    symbol: `${word()}-${Math.floor(random() * 1000)}`,
    price: Math.round(random() * 1e6) / 100,
    volume: Math.floor(random() * 10_000),
    side: random() < 0.5 ? 'buy' : 'sell',
    note: Array.from({ length: 12 }, word).join(' '),
    book: Array.from({ length: 5 }, () => [Math.round(random() * 1e5) / 100, Math.floor(random() * 500)]),
  };
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Row {
  setting: string;
  subprotocol: string;
  compress: boolean;
  negotiated: string;
  clients: number;
  messages: number;
  delivered: number;
  payloadPerMessage: number;
  wirePerMessage: number;
  cpuUsPerDelivered: number;
  rssPerConnectionBytes: number;
}

async function measure(setting: Setting): Promise<Row> {
  const server = await startLabServer({ args: ['--retention', '1000'] });
  try {
    const wsBase = `${server.url.replace('http', 'ws')}/api/ws`;
    await new Promise((r) => setTimeout(r, 500));
    const rssBefore = readProc(server.pid)?.rssBytes ?? 0;
    let received = 0;
    let negotiated = '(none)';
    const sockets: WebSocket[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const query = `?client=bench-${i}${setting.compress ? '&compress=1' : ''}`;
      const ws = new WebSocket(`${wsBase}${query}`, [setting.subprotocol], { perMessageDeflate: setting.offer });
      ws.on('message', () => {
        received += 1;
      });
      if (i === 0)
        ws.on('upgrade', (response) => {
          negotiated = String(response.headers['sec-websocket-extensions'] ?? '(none)');
        });
      sockets.push(ws);
    }
    await waitFor(() => received >= CLIENTS, 60_000, 'every hello');
    const random = seeded(11);
    const publish = (n: number) =>
      fetch(`${server.url}/api/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: makeData(random, n) }),
      }).then((r) => r.text());
    // Warm-up: ten messages, so every connection's zlib streams exist before memory is read.
    for (let n = 0; n < 10; n++) await publish(n);
    await waitFor(() => received >= CLIENTS * 11, 60_000, 'the warm-up messages');
    await new Promise((r) => setTimeout(r, 300));
    const rssAfter = readProc(server.pid)?.rssBytes ?? 0;
    const statsBefore = (await (await fetch(`${server.url}/api/stats`)).json()) as StatsResponse;
    const cpuBefore = readProc(server.pid)?.cpuMs ?? 0;
    const started = performance.now();
    for (let n = 0; n < MESSAGES; n++) {
      const due = started + (n / RATE) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await publish(10 + n);
      if (n % 50 === 0) process.stderr.write(`\r${setting.name}: ${n}/${MESSAGES} published   `);
    }
    await waitFor(() => received >= CLIENTS * (11 + MESSAGES), 120_000, 'every message');
    const cpuAfter = readProc(server.pid)?.cpuMs ?? 0;
    const statsAfter = (await (await fetch(`${server.url}/api/stats`)).json()) as StatsResponse;
    process.stderr.write('\n');
    for (const ws of sockets) ws.close();
    const before = statsBefore.transports.websocket;
    const after = statsAfter.transports.websocket;
    const delivered = after.messages - before.messages;
    return {
      setting: setting.name,
      subprotocol: setting.subprotocol,
      compress: setting.compress,
      negotiated,
      clients: CLIENTS,
      messages: MESSAGES,
      delivered,
      payloadPerMessage: (after.payloadBytes - before.payloadBytes) / delivered,
      wirePerMessage: (after.bytesOut - before.bytesOut + after.bytesIn - before.bytesIn) / delivered,
      cpuUsPerDelivered: ((cpuAfter - cpuBefore) * 1000) / delivered,
      rssPerConnectionBytes: (rssAfter - rssBefore) / CLIENTS,
    };
  } finally {
    await server.stop();
  }
}

const rows: Row[] = [];
const startedAt = new Date().toISOString();
for (const setting of SETTINGS) rows.push(await measure(setting));

const table = rows.map((r) => ({
  setting: r.setting,
  'payload B/msg': r.payloadPerMessage.toFixed(1),
  'wire B/msg': r.wirePerMessage.toFixed(1),
  'server CPU µs/msg': r.cpuUsPerDelivered.toFixed(1),
  'RSS KiB/conn': (r.rssPerConnectionBytes / 1024).toFixed(1),
  negotiated: r.negotiated,
}));
console.table(table);

const summary = {
  bench: 'ws-framing-bench',
  description:
    'JSON vs MessagePack WebSocket frames, with and without permessage-deflate: bytes, server CPU per delivered message, server memory per connection.',
  params: { clients: CLIENTS, messages: MESSAGES, rate: RATE },
  startedAt,
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', totalMemBytes: totalmem(), node: process.version },
  rows,
};
const folder = startedAt.replace(/[:.]/g, '-');
const dir = join(ROOT, 'results', 'ws-framing-bench', folder);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
// The latest run, as the scenarios record theirs (LESSONS.md quotes from it).
const latest = { scenario: 'ws-framing-bench', timestamp: folder, startedAt, summary: `${folder}/summary.json` };
writeFileSync(join(ROOT, 'results', 'ws-framing-bench', 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
console.log(`results: ${dir}/summary.json`);
