/**
 * The capacity phase: h2load (Debian's nghttp2-client) against the lab's short poll over h2c
 * and over HTTP/1.1, and against a bare node:http2 server answering a poll-sized JSON — what
 * Node's HTTP/2 costs by itself, set beside what the lab (Fastify, its accounting, the frame tap)
 * adds. Bounded: a fixed number of requests, on 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const H2LOAD = '/usr/bin/h2load';
const REQUESTS = 4_000;
const CLIENTS = 4;
const STREAMS_PER_CLIENT = 10;

export interface CapacityResult {
  target: string;
  protocol: 'h2c' | 'http/1.1';
  requests: number;
  succeeded: number;
  requestsPerSecond: number;
  clients: number;
  streamsPerClient: number;
}

async function h2load(target: string, url: string, h1: boolean): Promise<CapacityResult> {
  const args = ['-n', String(REQUESTS), '-c', String(CLIENTS), '-m', String(h1 ? 1 : STREAMS_PER_CLIENT)];
  if (h1) args.push('--h1');
  const { stdout } = await run(H2LOAD, [...args, url], { timeout: 120_000 });
  const rate = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout);
  const done = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded/.exec(stdout);
  if (!rate || !done) throw new Error(`h2load said:\n${stdout}`);
  return {
    target,
    protocol: h1 ? 'http/1.1' : 'h2c',
    requests: Number(done[1]),
    succeeded: Number(done[2]),
    requestsPerSecond: Number(rate[1]),
    clients: CLIENTS,
    streamsPerClient: h1 ? 1 : STREAMS_PER_CLIENT,
  };
}

export async function runCapacity(bases: { labH2c: string; labH1: string }): Promise<CapacityResult[]> {
  const body = JSON.stringify({ epoch: 'q7k2abcd', head: 1, messages: [] });
  const bare = http2.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body);
  });
  bare.listen(0, '127.0.0.1');
  await once(bare, 'listening');
  const barePort = (bare.address() as AddressInfo).port;
  try {
    return [
      await h2load('bare node:http2 (h2c)', `http://127.0.0.1:${barePort}/api/poll`, false),
      await h2load('lab short poll over h2c', `${bases.labH2c}/api/poll?client=h2load-h2c`, false),
      await h2load('lab short poll over HTTP/1.1', `${bases.labH1}/api/poll?client=h2load-h1`, true),
    ];
  } finally {
    bare.close();
  }
}
