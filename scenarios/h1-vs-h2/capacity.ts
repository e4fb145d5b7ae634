/**
 * The h1-vs-h2 capacity phase: h2load (Debian's nghttp2-client) against the lab's short poll over
 * h2c, h2+TLS and HTTP/1.1, and against a bare node:http2 server answering a poll-sized JSON —
 * what Node's HTTP/2 costs by itself, set beside what the lab (Fastify, its accounting, the
 * frame tap) adds. Bounded: a fixed number of requests, on 127.0.0.1. The lab's CPU per request
 * comes from its own process (/proc); the bare server runs in this one, idle but for it.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { ProtocolCapacity } from '../summary.js';

const run = promisify(execFile);
const H2LOAD = '/usr/bin/h2load';
const CLIENTS = 4;
const STREAMS_PER_CLIENT = 10;

export async function h2loadVersion(): Promise<string> {
  const { stdout } = await run(H2LOAD, ['--version']).catch(() => ({ stdout: 'unknown' }));
  return stdout.trim();
}

async function h2load(
  target: string,
  url: string,
  protocol: ProtocolCapacity['protocol'],
  requests: number,
  cpuMs: () => number,
): Promise<ProtocolCapacity> {
  const h1 = protocol === 'http/1.1';
  const args = ['-n', String(requests), '-c', String(CLIENTS), '-m', String(h1 ? 1 : STREAMS_PER_CLIENT)];
  if (h1) args.push('--h1');
  const before = cpuMs();
  const { stdout } = await run(H2LOAD, [...args, url], { timeout: 120_000 });
  const used = cpuMs() - before;
  const rate = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout);
  const done = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded/.exec(stdout);
  if (!rate || !done) throw new Error(`h2load said:\n${stdout}`);
  const succeeded = Number(done[2]);
  return {
    target,
    protocol,
    requests: Number(done[1]),
    succeeded,
    requestsPerSecond: Number(rate[1]),
    clients: CLIENTS,
    streamsPerClient: h1 ? 1 : STREAMS_PER_CLIENT,
    serverCpuUsPerRequest: succeeded > 0 ? Math.round((used * 1000) / succeeded) : null,
    ratioToBare: null,
  };
}

export async function runCapacity(
  bases: { labH2c: string; labH2: string; labH1: string },
  options: { requests: number; serverCpuMs: () => number },
): Promise<ProtocolCapacity[]> {
  const body = JSON.stringify({ epoch: 'q7k2abcd', head: 1, messages: [] });
  const bare = http2.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body);
  });
  bare.listen(0, '127.0.0.1');
  await once(bare, 'listening');
  const barePort = (bare.address() as AddressInfo).port;
  const ownCpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const { requests, serverCpuMs } = options;
  try {
    const bareRun = await h2load(
      'bare node:http2 (h2c)',
      `http://127.0.0.1:${barePort}/api/poll`,
      'h2c',
      requests,
      ownCpuMs,
    );
    const lab = [
      await h2load(
        'lab short poll over h2c',
        `${bases.labH2c}/api/poll?client=h2load-h2c`,
        'h2c',
        requests,
        serverCpuMs,
      ),
      await h2load(
        'lab short poll over h2+TLS',
        `${bases.labH2}/api/poll?client=h2load-h2`,
        'h2',
        requests,
        serverCpuMs,
      ),
      await h2load(
        'lab short poll over HTTP/1.1',
        `${bases.labH1}/api/poll?client=h2load-h1`,
        'http/1.1',
        requests,
        serverCpuMs,
      ),
    ];
    for (const c of lab) c.ratioToBare = Math.round((c.requestsPerSecond / bareRun.requestsPerSecond) * 100) / 100;
    return [bareRun, ...lab];
  } finally {
    bare.close();
  }
}
