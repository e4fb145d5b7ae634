/**
 * The h1-vs-h2 scenario's run (scenarios/library/h1-vs-h2.ts): short poll, long poll and SSE over
 * HTTP/1.1, h2c and h2+TLS against one lab server in its own process, one fresh connection per
 * run, then h2load against the lab and a bare node:http2 server.
 *
 * Per transport and protocol, two passes:
 *  - accounting: N messages, and after each one the server's counters for this client
 *    (`/api/stats` and `/api/stats/h2`): wire bytes and header bytes of every exchange, so the
 *    first request sits beside the hundredth (HPACK), requests per connection, event age;
 *  - CPU: M messages with no stats call in between; the server's CPU from /proc/<pid>/stat (it is
 *    its own process) and the runner's (the client) from process.cpuUsage(), each net of what a
 *    bare publish costs them (measured before and after, with no client listening).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../client/control.js';
import { type ChildServer, startLabServer } from '../../tools/child-process.js';
import type { ProtocolsSpec } from '../definition-schema.js';
import { readProc } from '../proc-meter.js';
import type { Progress } from '../progress.js';
import type { ProtocolComparison, ProtocolRun, Summary } from '../summary.js';
import { h2loadVersion, runCapacity } from './capacity.js';
import { clientFor, PROTOCOLS, type Protocol, type ProtocolClient } from './clients.js';

export const COMPARED_TRANSPORTS = ['short-poll', 'long-poll', 'sse'] as const;
type Transport = (typeof COMPARED_TRANSPORTS)[number];

/** The passes' sizes, as a scenario writes them (scenarios/definition-schema.ts). */
export type { ProtocolsSpec };

/** Before a long poll's publish in the CPU pass, so the poll is (most likely) held by then. */
const HOLD_MS = 15;
const PAD = 'x'.repeat(60);

export interface ComparisonResult {
  protocols: ProtocolComparison;
  server: Summary['server'];
  phases: Summary['phases'];
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

async function until(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(2);
  }
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

/** The SSE reader: data blocks of feed messages (not `event:` notices), with the block's bytes. */
function sseReader(onMessage: (ts: number, bytes: number) => void): (text: string) => void {
  let buffer = '';
  return (text) => {
    buffer += text;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined && !/^event: /m.test(block))
        onMessage((JSON.parse(data) as { ts: number }).ts, Buffer.byteLength(`${block}\n\n`));
      end = buffer.indexOf('\n\n');
    }
  };
}

class Comparison {
  readonly api: ControlClient;
  readonly bases: Record<Protocol, string>;

  constructor(
    readonly server: ChildServer,
    ports: { https: number; h2c: number },
  ) {
    this.api = new ControlClient(server.url);
    this.bases = {
      'http/1.1': server.url,
      h2c: `http://127.0.0.1:${ports.h2c}`,
      h2: `https://localhost:${ports.https}`,
    };
  }

  get epoch(): string {
    return this.server.epoch;
  }

  serverCpuMs(): number {
    return readProc(this.server.pid)?.cpuMs ?? Number.NaN;
  }

  async head(): Promise<number> {
    return (await this.api.feed()).head;
  }

  async publish(i: number): Promise<number> {
    return (await this.api.publish({ i, pad: PAD })).seq;
  }

  /** The server's counters for one client and transport (settled first by the route itself). */
  async counters(client: string, transport: Transport) {
    const [stats, h2] = await Promise.all([
      this.api.stats(client),
      this.api.call<{ transports: Record<Transport, { headersIn: number; headersOut: number }> }>(
        'GET',
        `/api/stats/h2?client=${encodeURIComponent(client)}`,
      ),
    ]);
    const c = stats.transports[transport];
    const f = h2.transports[transport];
    return { ...c, wire: c.bytesIn + c.bytesOut, headers: f.headersIn + f.headersOut };
  }

  /**
   * One message through the transport: publish it and receive it. `held` is called once a long
   * poll is out (the accounting pass waits until the server holds it; the CPU pass just waits).
   */
  async exchange(
    c: ProtocolClient,
    transport: 'short-poll' | 'long-poll',
    client: string,
    i: number,
    held: () => Promise<void>,
  ): Promise<{ ages: number[]; body: string }> {
    let body: string;
    if (transport === 'short-poll') {
      const seq = await this.publish(i);
      body = await c.get(`/api/poll?since=${seq - 1}&epoch=${this.epoch}&client=${client}`);
    } else {
      const since = await this.head();
      const answer = c.get(`/api/long-poll?since=${since}&epoch=${this.epoch}&timeout=30000&client=${client}`);
      await held();
      await this.publish(i);
      body = await answer;
    }
    const received = now();
    const messages = (JSON.parse(body) as { messages: { ts: number }[] }).messages;
    return { ages: messages.map((m) => received - m.ts), body };
  }

  async accountingPass(protocol: Protocol, transport: Transport, messages: number) {
    const client = `${transport}-${protocol.replace('/', '').replace('.', '')}`;
    const c = await clientFor(protocol, this.bases[protocol]);
    const wirePerExchange: number[] = [];
    const headersPerExchange: number[] = [];
    const ages: number[] = [];
    const isH1 = protocol === 'http/1.1';
    let last = await this.counters(client, transport);
    const record = async (bodyBytes: number) => {
      const next = await this.counters(client, transport);
      const wire = next.wire - last.wire;
      wirePerExchange.push(wire);
      // HTTP/1.1 has no frames: its header bytes are the exchange minus the body it carried.
      headersPerExchange.push(isH1 ? wire - bodyBytes : next.headers - last.headers);
      last = next;
    };
    if (transport === 'sse') {
      let received = 0;
      let bodyBytes = 0;
      const since = await this.head();
      const stream = c.stream(
        `/api/sse?since=${since}&epoch=${this.epoch}&client=${client}`,
        sseReader((ts, bytes) => {
          ages.push(now() - ts);
          bodyBytes = bytes;
          received += 1;
        }),
      );
      await until(async () => (await this.counters(client, 'sse')).connections === 1, 'the SSE stream');
      await wait(50);
      last = await this.counters(client, transport);
      for (let i = 1; i <= messages; i++) {
        await this.publish(i);
        await until(() => received === i, 'an SSE message');
        await record(bodyBytes);
      }
      stream.close();
    } else {
      const held = () =>
        until(async () => (await this.counters(client, 'long-poll')).connections === 1, 'a held long poll');
      for (let i = 1; i <= messages; i++) {
        const { ages: got, body } = await this.exchange(c, transport, client, i, held);
        ages.push(...got);
        await record(Buffer.byteLength(body));
      }
    }
    const connections = c.connections;
    c.close();
    await wait(100);
    const totals = await this.counters(client, transport);
    return { totals, connections, wirePerExchange, headersPerExchange, ages };
  }

  /** M messages with nothing else on the wire; the server's and the runner's CPU over them, ms. */
  async cpuPass(protocol: Protocol, transport: Transport, messages: number) {
    const client = `${transport}-${protocol.replace('/', '').replace('.', '')}-cpu`;
    const c = await clientFor(protocol, this.bases[protocol]);
    let closeStream = () => {};
    let received = 0;
    if (transport === 'sse') {
      const since = await this.head();
      const stream = c.stream(
        `/api/sse?since=${since}&epoch=${this.epoch}&client=${client}`,
        sseReader(() => {
          received += 1;
        }),
      );
      closeStream = () => stream.close();
      await until(async () => (await this.counters(client, 'sse')).connections === 1, 'the SSE stream');
      await wait(50);
    }
    const server = this.serverCpuMs();
    const runner = process.cpuUsage();
    for (let i = 1; i <= messages; i++) {
      if (transport === 'sse') {
        await this.publish(i);
        await until(() => received === i, 'an SSE message');
      } else {
        await this.exchange(c, transport, client, i, () => wait(HOLD_MS));
      }
    }
    const serverMs = this.serverCpuMs() - server;
    const used = process.cpuUsage(runner);
    closeStream();
    c.close();
    await wait(100);
    const counted = (await this.counters(client, transport)).messages;
    return { serverMs, clientMs: (used.user + used.system) / 1000, messages: counted };
  }

  /** Publishes with no client listening: what each message costs before any transport carries it. */
  async publishOnly(messages: number): Promise<{ serverMs: number; clientMs: number }> {
    const server = this.serverCpuMs();
    const runner = process.cpuUsage();
    for (let i = 1; i <= messages; i++) await this.publish(i);
    const used = process.cpuUsage(runner);
    return { serverMs: this.serverCpuMs() - server, clientMs: (used.user + used.system) / 1000 };
  }
}

export async function runProtocolComparison(spec: ProtocolsSpec, progress: Progress): Promise<ComparisonResult> {
  const started = performance.now();
  const phases: Summary['phases'] = [];
  const ports = { https: await freePort(), h2c: await freePort() };
  const certDir = mkdtempSync(join(tmpdir(), 'lab-h1-vs-h2-'));
  progress.phase('starting the lab server (HTTP/1.1, h2c, h2+TLS)');
  const server = await startLabServer({
    retention: 10_000,
    args: [
      ...['--https-port', String(ports.https), '--h2c-port', String(ports.h2c)],
      ...['--cert-dir', certDir, '--poll-rate-limit', '0'],
    ],
  });
  try {
    const lab = new Comparison(server, ports);
    // The banner's first line comes before the TLS and h2c listeners: wait until they answer.
    await until(async () => (await lab.api.call<unknown>('GET', '/api/feed').catch(() => null)) !== null, 'the lab');
    for (const port of [ports.https, ports.h2c]) {
      await until(
        () =>
          new Promise<boolean>((resolve) => {
            const socket = net.connect(port, '127.0.0.1', () => {
              socket.destroy();
              resolve(true);
            });
            socket.on('error', () => resolve(false));
          }),
        `port ${port}`,
      );
    }
    progress.phase('publish-only baseline (after a warm-up of the same length)');
    await lab.publishOnly(spec.cpuMessages);
    const before = await lab.publishOnly(spec.cpuMessages);
    const measured: (ProtocolRun & { raw: { serverMs: number; clientMs: number } })[] = [];
    let serverCpuMs = 0;
    let countedMessages = 0;
    for (const protocol of PROTOCOLS) {
      for (const transport of COMPARED_TRANSPORTS) {
        const start = performance.now() - started;
        const serverBefore = lab.serverCpuMs();
        progress.phase(`${protocol} ${transport}: accounting pass`);
        const a = await lab.accountingPass(protocol, transport, spec.messages);
        progress.phase(`${protocol} ${transport}: CPU pass`);
        const cpu = await lab.cpuPass(protocol, transport, spec.cpuMessages);
        const phaseCpu = lab.serverCpuMs() - serverBefore;
        phases.push({
          name: `${protocol} ${transport}`,
          startMs: start,
          endMs: performance.now() - started,
          cpuMs: phaseCpu,
          rssMaxBytes: readProc(server.pid)?.rssBytes ?? 0,
        });
        serverCpuMs += cpu.serverMs;
        countedMessages += cpu.messages;
        const run = figures(protocol, transport, a, cpu);
        measured.push(run);
        progress.log(
          `${protocol.padEnd(8)} ${transport.padEnd(10)} ${run.wirePerMessage.toFixed(1)} B/message, headers ${run.headersFirst} → ${run.headersLast} B, ${run.requestsPerConnection.toFixed(0)} requests/connection, age p50 ${run.latencyMs.p50} ms, server ${((run.raw.serverMs / spec.cpuMessages) * 1000).toFixed(0)} µs/message gross`,
        );
      }
    }
    progress.phase('publish-only baseline (again)');
    const after = await lab.publishOnly(spec.cpuMessages);
    const publishCost = {
      serverUsPerMessage: round(((before.serverMs + after.serverMs) / 2 / spec.cpuMessages) * 1000),
      clientUsPerMessage: round(((before.clientMs + after.clientMs) / 2 / spec.cpuMessages) * 1000),
    };
    // Net CPU: the mean of both baselines, so drift over the run hits every protocol alike.
    const runs: ProtocolRun[] = measured.map(({ raw, ...run }) => ({
      ...run,
      cpu: {
        messages: run.cpu.messages,
        serverUsPerMessage: round((raw.serverMs / spec.cpuMessages) * 1000 - publishCost.serverUsPerMessage),
        clientUsPerMessage: round((raw.clientMs / spec.cpuMessages) * 1000 - publishCost.clientUsPerMessage),
        serverGrossUsPerMessage: round((raw.serverMs / spec.cpuMessages) * 1000),
        clientGrossUsPerMessage: round((raw.clientMs / spec.cpuMessages) * 1000),
      },
    }));

    const capStart = performance.now() - started;
    const capCpu = lab.serverCpuMs();
    progress.phase('capacity: h2load against the lab and a bare node:http2 server');
    const capacity = await runCapacity(
      { labH2c: lab.bases.h2c, labH2: `https://127.0.0.1:${ports.https}`, labH1: lab.bases['http/1.1'] },
      { requests: spec.capacityRequests, serverCpuMs: () => lab.serverCpuMs() },
    );
    for (const c of capacity)
      progress.log(
        `${c.target.padEnd(34)} ${c.requestsPerSecond.toFixed(0)} req/s (${c.succeeded}/${c.requests} 2xx)${c.ratioToBare === null ? '' : `, ${c.ratioToBare}× bare`}`,
      );
    phases.push({
      name: 'capacity (h2load)',
      startMs: capStart,
      endMs: performance.now() - started,
      cpuMs: lab.serverCpuMs() - capCpu,
      rssMaxBytes: readProc(server.pid)?.rssBytes ?? 0,
    });
    const rssMaxBytes = readProc(server.pid)?.hwmBytes ?? 0;
    const byRun: ProtocolComparison['byRun'] = {};
    for (const run of runs) {
      const { wirePerExchange: _w, headersPerExchange: _h, ...rest } = run;
      byRun[run.transport] ??= {};
      (byRun[run.transport] as Record<string, typeof rest>)[run.protocol.replace('/', '').replace('.', '')] = rest;
    }
    const protocols: ProtocolComparison = {
      messagesPerRun: spec.messages,
      cpuMessagesPerRun: spec.cpuMessages,
      publishCost,
      runs,
      byRun,
      capacity,
      h2load: await h2loadVersion(),
      notes: {
        bytes:
          'wire bytes = bytes at the server’s TCP socket (in + out) for this client; TLS counts ciphertext (its handshake is in other); over TLS a stream’s share of a connection is an ESTIMATE (docs/http2.md)',
        headers:
          'h2: HEADERS frames (HPACK blocks + 9-byte frame headers), exact; HTTP/1.1: exchange bytes minus body bytes',
        age: 'publish (server stamps ts) → receipt (runner), two processes on one host, performance.timeOrigin + performance.now() in both; from the accounting pass',
        cpu: `server: /proc/<pid>/stat of the lab's own process; client: the runner's process.cpuUsage(); over ${spec.cpuMessages} messages per run with no stats call, each net of a bare publish (publishCost); /proc counts 10 ms ticks`,
        longPollHold: `in the CPU pass a long poll's message is published ${HOLD_MS} ms after the poll is sent (no stats call to see it held)`,
        connections: 'TCP connections the client opened; HTTP/1.1 SSE holds its own',
      },
    };
    return {
      protocols,
      server: {
        cpuMs: serverCpuMs,
        rssMaxBytes,
        cpuUsPerDelivered: countedMessages > 0 ? (serverCpuMs * 1000) / countedMessages : 0,
      },
      phases,
    };
  } finally {
    await server.stop();
    rmSync(certDir, { recursive: true, force: true });
  }
}

function figures(
  protocol: Protocol,
  transport: Transport,
  a: Awaited<ReturnType<Comparison['accountingPass']>>,
  cpu: Awaited<ReturnType<Comparison['cpuPass']>>,
): ProtocolRun & { raw: { serverMs: number; clientMs: number } } {
  const { totals } = a;
  const messages = Math.max(1, totals.messages);
  return {
    protocol,
    transport,
    messages: totals.messages,
    requests: totals.requests,
    connections: a.connections,
    requestsPerConnection: round(totals.requests / Math.max(1, a.connections)),
    wirePerMessage: round(totals.wire / messages),
    payloadPerMessage: round(totals.payloadBytes / messages),
    wirePerExchange: a.wirePerExchange,
    headersPerExchange: a.headersPerExchange,
    headersFirst: a.headersPerExchange[0] ?? 0,
    headersLast: a.headersPerExchange.at(-1) ?? 0,
    latencyMs: { p50: round(percentile(a.ages, 50), 2), p99: round(percentile(a.ages, 99), 2) },
    cpu: {
      messages: cpu.messages,
      serverUsPerMessage: Number.NaN,
      clientUsPerMessage: Number.NaN,
      serverGrossUsPerMessage: Number.NaN,
      clientGrossUsPerMessage: Number.NaN,
    },
    raw: { serverMs: cpu.serverMs, clientMs: cpu.clientMs },
  };
}
