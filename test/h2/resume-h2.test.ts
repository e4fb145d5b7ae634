/**
 * The resume table over HTTP/2 (TLS, ALPN h2) on every HTTP transport, asked with undici's fetch
 * with `allowH2`. The server's own HTTP/2 accounting proves the answers really came over h2.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishMany } from '../harness.js';
import { resumeTable } from '../resume-table.js';
import { type SecureRunning, startSecureLab } from './secure-lab.js';

const HTTP_TRANSPORTS = ['short-poll', 'long-poll', 'sse'] as const;
let lab: SecureRunning;
let epoch = '';
// The test's certificate is made for this run: trusted here, and only here.
const dispatcher = new Agent({ allowH2: true, connect: { ca: undefined, rejectUnauthorized: false } });
const h2fetch = ((url: string, init?: RequestInit) =>
  undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;

beforeAll(async () => {
  lab = await startSecureLab({ retention: 5 });
  await publishMany(lab.url, 10);
  epoch = lab.app.lab.feed.epoch;
});
afterAll(async () => {
  await dispatcher.close();
  await lab.close();
});

resumeTable(() => ({ url: lab.httpsUrl, epoch }), HTTP_TRANSPORTS, h2fetch);

describe('over h2', () => {
  it('every one of those requests was an HTTP/2 stream', () => {
    lab.app.lab.accounting.sessions.settleAll();
    const frames = lab.app.lab.accounting.h2frames.read();
    const counters = lab.app.lab.accounting.ledger.read();
    for (const transport of HTTP_TRANSPORTS) {
      expect(counters[transport].requests).toBeGreaterThan(5);
      expect(frames[transport].streams).toBe(counters[transport].requests);
    }
  });
});
