/**
 * The answer body short and long polls share: `{"epoch","head","messages":[…],"reset"?}`, built by
 * concatenating each message's one serialized text, never re-serializing it. Its counting is
 * apart from its text, so one body can answer many held long polls (long-poll-waiters.ts).
 */
import type { ServerResponse } from 'node:http';
import type { ResetNotice } from '../../contract/index.js';
import type { Accounting, Attribution } from '../accounting/accounting.js';
import type { FeedEntry } from '../feed/feed.js';
import { API_REPLY_HEADERS } from '../security/headers.js';

/** The content type of every poll answer (both polls set it, with `cache-control: no-store`). */
export const POLL_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A poll answer's head as the fast lane writes it (server/fast-lane.ts): the names and values
 * Fastify's reply writes, in its order — the security headers, the two the poll handlers set,
 * `extra` (a long poll's `connection: close` on shutdown), then the length Fastify adds, as one flat
 * list whose last value `laneSend` fills in.
 */
export function laneHead(...extra: string[]): string[] {
  return [
    ...API_REPLY_HEADERS.flat(),
    'content-type',
    POLL_CONTENT_TYPE,
    'cache-control',
    'no-store',
    ...extra,
    'content-length',
    '',
  ];
}

/** A 200 with `body` under `head` (from `laneHead`), written straight on the response. */
export function laneSend(response: ServerResponse, head: string[], body: string): void {
  head[head.length - 1] = String(Buffer.byteLength(body));
  response.writeHead(200, head);
  response.end(body);
}

export function pollBody(
  epoch: string,
  head: number,
  entries: readonly FeedEntry[],
  reset: ResetNotice | null,
): string {
  let messages = '';
  for (let i = 0; i < entries.length; i++) messages += i === 0 ? entries[i]?.text : `,${entries[i]?.text}`;
  const resetField = reset ? `,"reset":${JSON.stringify(reset)}` : '';
  return `{"epoch":"${epoch}","head":${head},"messages":[${messages}]${resetField}}`;
}

/** Counts one answer: its messages, an empty answer, a reset. */
export function countAnswer(
  accounting: Accounting,
  who: Attribution,
  entries: readonly FeedEntry[],
  reset: ResetNotice | null,
): void {
  accounting.delivered(who, entries);
  if (entries.length === 0) accounting.emptyAnswer(who);
  if (reset) accounting.reset(who);
}

export function pollAnswer(
  accounting: Accounting,
  who: Attribution,
  epoch: string,
  head: number,
  entries: readonly FeedEntry[],
  reset: ResetNotice | null,
): string {
  countAnswer(accounting, who, entries, reset);
  return pollBody(epoch, head, entries, reset);
}
