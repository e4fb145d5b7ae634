/**
 * Like with like for the polls rows: the bare baselines answer with the lab's own body AND its
 * own headers (scenarios/baseline-head.ts), and the bench checks, before it measures, that each
 * baseline's answer is as many bytes on the wire as the lab's. It also says what the lab does per
 * poll that no baseline does, since that work is what the ratio measures.
 */
import http from 'node:http';
import { ControlClient } from '../../client/control.js';
import type { HeaderList } from '../baseline-head.js';

/** Headers each server writes for itself (its own clock, its own connection management, the length it computes). */
const OWN = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/**
 * Publishes one message on the lab at `url` and returns the poll route whose every answer carries
 * exactly that message (one behind the head): the body the polls phases measure.
 */
export async function oneMessagePollRoute(url: string): Promise<string> {
  const api = new ControlClient(url);
  await api.publish('bench');
  const feed = await api.feed();
  return `/api/poll?since=${feed.head - 1}&epoch=${feed.epoch}&client=bench-poll`;
}

export interface Answer {
  status: number;
  headers: HeaderList;
  body: string;
}

export function readAnswer(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          const headers: HeaderList = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i] as string;
            if (!OWN.has(name.toLowerCase())) headers.push([name, res.rawHeaders[i + 1] as string]);
          }
          resolve({ status: res.statusCode ?? 0, headers, body });
        });
      })
      .on('error', reject);
  });
}

/** Bytes of the head and body, as `Name: value\r\n` lines (Date and the other per-server headers left out). */
export function answerBytes(answer: Answer): number {
  let bytes = Buffer.byteLength(answer.body);
  for (const [name, value] of answer.headers) bytes += Buffer.byteLength(`${name}: ${value}\r\n`);
  return bytes;
}

/** Throws unless `baseline` answers 200 with the lab's body in as many bytes. */
export function checkParity(name: string, lab: Answer, baseline: Answer): void {
  if (baseline.status !== 200 || lab.status !== 200)
    throw new Error(`polls: ${name} answered ${baseline.status}, the lab ${lab.status}; both must answer 200`);
  if (baseline.body !== lab.body) throw new Error(`polls: ${name} answers another body than the lab`);
  const [l, b] = [answerBytes(lab), answerBytes(baseline)];
  if (l !== b) throw new Error(`polls: ${name}'s answer is ${b} bytes, the lab's ${l}: not like with like`);
}

/** What the lab does for every poll that the bare baselines do not: the cost the polls ratio measures. */
export const LAB_WORK_PER_POLL: readonly string[] = [
  'no Fastify routing for these polls: a well-formed poll is answered by the fast lane in front of Fastify ' +
    '(server/fast-lane.ts), which checks what Fastify would (path, Host, query, poll limit, cursor) and hands ' +
    'anything else to Fastify; bare Fastify routes every poll, bare node:http none',
  'query parsing: client id, cursor (since + epoch), limit; the cursor resolved in the feed',
  'Host check against DNS rebinding (server/security/host.ts)',
  'the per-client poll limit (server/security/poll-limit.ts): checked on every poll, set so high for the bench ' +
    'that it never answers 429 (its default, 500/s per client, would refuse most of wrk’s polls)',
  'accounting: requests, messages and payload bytes per transport and per client, bytes at the TCP socket ' +
    'settled when the next request begins, the socket ends or a counter is read (server/accounting/)',
  'the security headers: recorded once (server/security/headers.ts), written by the fast lane as one flat list ' +
    'in Fastify’s order; the baselines send the same headers, so the bytes on the wire are the same',
  'the query read and checked against its schema (server/query.ts, the direct check): since, epoch, client, ' +
    'limit; bare Fastify and bare node:http read no query at all',
  'long poll only: a well-formed one is answered or held by the fast lane too (server/transports/long-poll.ts); ' +
    'a held poll is also an open stream of the connection bound (server/accounting/streams.ts), counted through ' +
    'a slot reused from poll to poll (server/transports/long-poll-slots.ts), ' +
    'sits in the waiters index by cursor (server/transports/long-poll-waiters.ts) and in its timeout’s deadline ' +
    'queue (one timer per distinct timeout, server/transports/hold-deadlines.ts), with one close listener; the ' +
    'bare long polls hold a plain list, each poll with a timer of its own and a close listener',
];
