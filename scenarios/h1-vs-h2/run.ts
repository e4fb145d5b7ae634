/**
 * Scenario h1-vs-h2: short poll, long poll and SSE over HTTP/1.1, h2c and h2+TLS, on one lab,
 * one fresh connection per run, N messages each (`npm run h1-vs-h2 -- --messages 100`).
 *
 * Per run: wire bytes per message (the server's count at the TCP socket), the HEADERS bytes of
 * each exchange (HTTP/2's frame split, exact; HTTP/1.1: the exchange minus its body), so the
 * first request can be set beside the hundredth (HPACK); requests per connection; event age
 * (publish → receipt, one process, one clock); CPU per message (this process: server AND client,
 * said so in the report). Then a capacity phase with h2load against the lab and a bare node:http2
 * server. Writes results/h1-vs-h2/<time>/ (h2-summary.json, PNG charts, report.html).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { buildApp } from '../../server/app.js';
import { loadOrCreateCertificate } from '../../server/h2/certificate.js';
import { listenSecure } from '../../server/h2/listeners.js';
import { ROOT } from '../../tools/child-process.js';
import { folderName } from '../output.js';
import { runCapacity } from './capacity.js';
import { writeCharts } from './charts.js';
import { h1Client, h2Client, PROTOCOLS, type Protocol, type ProtocolClient } from './clients.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { messages: { type: 'string' }, out: { type: 'string' } } });
const MESSAGES = Number(values.messages ?? 100);
const TRANSPORTS = ['short-poll', 'long-poll', 'sse'] as const;
type Transport = (typeof TRANSPORTS)[number];

export interface RunResult {
  protocol: Protocol;
  transport: Transport;
  messages: number;
  requests: number;
  connections: number;
  requestsPerConnection: number;
  wirePerMessage: number;
  payloadPerMessage: number;
  /** Wire bytes (in + out) of each exchange, in order (poll: one request and its answer; SSE: one event). */
  wirePerExchange: number[];
  /** Header bytes of each exchange, both directions (h2: HEADERS frames; HTTP/1.1: head lines). */
  headersPerExchange: number[];
  ageMsP50: number;
  ageMsP99: number;
  cpuMicrosPerMessage: number;
}

const startedAt = new Date().toISOString();
const app = await buildApp({ retention: 10_000, running: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const lab = app.lab;
const certDir = join(tmpdir(), `lab-h1-vs-h2-${process.pid}`);
const certificate = await loadOrCreateCertificate(certDir);
const secure = await listenSecure(app, { host: '127.0.0.1', httpsPort: 0, h2cPort: 0, certificate });
let connections = 0;
app.server.on('connection', () => {
  connections += 1;
});
secure.h2app.server.on('session', () => {
  connections += 1;
});
const bases: Record<Protocol, string> = {
  'http/1.1': `http://127.0.0.1:${lab.ports.http}`,
  h2c: `http://127.0.0.1:${secure.h2cPort}`,
  h2: `https://localhost:${secure.httpsPort}`,
};

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(2);
  }
}

function bytesOf(client: string, transport: Transport): { wire: number; headers: number; payload: number } {
  lab.accounting.meter.settleAll();
  lab.accounting.sessions.settleAll();
  const c = lab.accounting.ledger.read(client)[transport];
  const f = lab.accounting.h2frames.read(client)[transport];
  return { wire: c.bytesIn + c.bytesOut, headers: f.headersIn + f.headersOut, payload: c.payloadBytes };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function oneRun(protocol: Protocol, transport: Transport): Promise<RunResult> {
  const client = `${transport}-${protocol.replace('/', '')}`;
  const http = protocol === 'http/1.1';
  const connectionsBefore = connections;
  const c: ProtocolClient = http ? h1Client(bases[protocol]) : await h2Client(bases[protocol]);
  const wirePerExchange: number[] = [];
  const headersPerExchange: number[] = [];
  const ages: number[] = [];
  const epoch = lab.feed.epoch;
  const cpu = process.cpuUsage();
  let last = bytesOf(client, transport);
  const record = (bodyBytes: number) => {
    const now = bytesOf(client, transport);
    const wire = now.wire - last.wire;
    wirePerExchange.push(wire);
    // HTTP/1.1 has no frames: its header bytes are the exchange minus the body it carried.
    headersPerExchange.push(http ? wire - bodyBytes : now.headers - last.headers);
    last = now;
  };
  if (transport === 'sse') {
    let received = 0;
    let buffer = '';
    let bodyBytes = 0;
    const stream = c.stream(`/api/sse?since=${lab.feed.head}&epoch=${epoch}&client=${client}`, (text) => {
      buffer += text;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data !== undefined && !/^event: /m.test(block)) {
          ages.push(Date.now() - JSON.parse(data).ts);
          bodyBytes = Buffer.byteLength(`${block}\n\n`);
          received += 1;
        }
        end = buffer.indexOf('\n\n');
      }
    });
    await until(() => lab.accounting.ledger.read(client).sse.connections === 1, 'SSE stream');
    await wait(50);
    last = bytesOf(client, transport);
    for (let i = 1; i <= MESSAGES; i++) {
      lab.feed.publish({ i, pad: 'x'.repeat(60) });
      await until(() => received === i, 'SSE message');
      await wait(1);
      record(bodyBytes);
    }
    stream.close();
  } else {
    for (let i = 1; i <= MESSAGES; i++) {
      let body: string;
      if (transport === 'short-poll') {
        const entry = lab.feed.publish({ i, pad: 'x'.repeat(60) });
        body = await c.get(`/api/poll?since=${entry.seq - 1}&epoch=${epoch}&client=${client}`);
      } else {
        const held = c.get(`/api/long-poll?since=${lab.feed.head}&epoch=${epoch}&timeout=30000&client=${client}`);
        await until(() => lab.accounting.ledger.read(client)['long-poll'].connections === 1, 'held long poll');
        lab.feed.publish({ i, pad: 'x'.repeat(60) });
        body = await held;
      }
      const answer = JSON.parse(body) as { messages: { ts: number }[] };
      for (const m of answer.messages) ages.push(Date.now() - m.ts);
      await wait(1);
      record(Buffer.byteLength(body));
    }
  }
  const used = process.cpuUsage(cpu);
  c.close();
  await wait(100);
  const counters = lab.accounting.ledger.read(client)[transport];
  const opened = connections - connectionsBefore;
  return {
    protocol,
    transport,
    messages: counters.messages,
    requests: counters.requests,
    connections: opened,
    requestsPerConnection: counters.requests / Math.max(1, opened),
    wirePerMessage: (counters.bytesIn + counters.bytesOut) / counters.messages,
    payloadPerMessage: counters.payloadBytes / counters.messages,
    wirePerExchange,
    headersPerExchange,
    ageMsP50: percentile(ages, 50),
    ageMsP99: percentile(ages, 99),
    cpuMicrosPerMessage: (used.user + used.system) / counters.messages,
  };
}

const runs: RunResult[] = [];
for (const protocol of PROTOCOLS) {
  for (const transport of TRANSPORTS) {
    process.stdout.write(`  ${protocol.padEnd(8)} ${transport.padEnd(10)} … `);
    const result = await oneRun(protocol, transport);
    runs.push(result);
    console.log(
      `${result.wirePerMessage.toFixed(1)} B/message, headers first ${result.headersPerExchange[0]} B → last ${result.headersPerExchange.at(-1)} B, ${result.requestsPerConnection.toFixed(0)} requests/connection, age p50 ${result.ageMsP50} ms`,
    );
  }
}

console.log('capacity (h2load)…');
const capacity = await runCapacity({ labH2c: bases.h2c, labH1: bases['http/1.1'] });
for (const c of capacity)
  console.log(`  ${c.target.padEnd(34)} ${c.requestsPerSecond.toFixed(0)} req/s (${c.succeeded}/${c.requests} 2xx)`);
await app.close();

const { stdout: h2loadVersion } = await run('/usr/bin/h2load', ['--version']).catch(() => ({ stdout: 'unknown' }));
const summary = {
  scenario: 'h1-vs-h2',
  startedAt,
  messagesPerRun: MESSAGES,
  node: process.version,
  h2load: h2loadVersion.trim(),
  notes: {
    bytes:
      'wire bytes = bytes at the server’s TCP socket (in + out) for this client; TLS runs count ciphertext (handshake excluded: it is in other)',
    headers:
      'h2: HEADERS frames (HPACK blocks + 9-byte frame headers), exact; HTTP/1.1: exchange bytes minus body bytes',
    age: 'publish (server) → receipt (client), same process, same clock (performance-free Date.now, ms resolution)',
    cpu: 'process CPU (user + system) per message in this one process: server AND client together',
  },
  runs,
  // Per transport, per protocol (http11, h2c, h2): the figures LESSONS.md quotes.
  byRun: Object.fromEntries(
    TRANSPORTS.map((t) => [
      t,
      Object.fromEntries(
        runs
          .filter((r) => r.transport === t)
          .map((r) => [
            r.protocol.replace('/', '').replace('.', ''),
            {
              wirePerMessage: r.wirePerMessage,
              headersFirst: r.headersPerExchange[0],
              headersLast: r.headersPerExchange.at(-1),
              requestsPerConnection: r.requestsPerConnection,
              ageMsP50: r.ageMsP50,
              cpuMicrosPerMessage: r.cpuMicrosPerMessage,
            },
          ]),
      ),
    ]),
  ),
  capacity,
};
const dir = join(values.out ?? join(ROOT, 'results', 'h1-vs-h2'), folderName(startedAt));
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'h2-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
await writeCharts(dir, summary);
writeFileSync(
  join(dir, '..', 'latest.json'),
  `${JSON.stringify({ scenario: 'h1-vs-h2', timestamp: folderName(startedAt), startedAt, summary: `${folderName(startedAt)}/h2-summary.json`, report: `${folderName(startedAt)}/report.html` }, null, 2)}\n`,
);
console.log(`results in ${dir}`);
process.exit(0);
