/**
 * Fuzzing HTTP request lines, headers and query strings with fast-check, over raw TCP sockets (so
 * malformed input really reaches the server: no client library tidies it up). Every route of the
 * lab is a target: generated methods (valid, unknown, garbage), paths with random and hostile query
 * strings, random header names and values (control bytes, over-long values, duplicates, bad
 * Content-Length / Transfer-Encoding), bodies that disagree with their headers.
 *
 * Holds for every request: the server answers with one of the documented statuses
 * (docs/reliability.md, "Fuzzing HTTP") or closes the connection, within a bound (no hang); never a
 * 5xx; it stays up; a bystander SSE stream keeps receiving the feed gap-free. Seed printed;
 * FUZZ_SEED replays, FUZZ_RUNS sets the count (CI: 20 samples × 10 requests; `npm run fuzz -- --runs 10000`: 1 000 × 10,
 * its tally written by ./report.ts into results/fuzz/).
 */
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../contract/index.js';
import { type Running, SseProbe, startLab, until } from '../harness.js';
import { writeFuzzReport } from './report.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const BATCH = 10;
/** The statuses the lab documents for any request (docs/reliability.md). */
const DOCUMENTED_STATUSES = new Set([
  200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 406, 408, 409, 413, 414, 415, 421, 426, 429, 431, 503,
]);
/** A fuzzed request not answered nor closed within this is a hang. */
const ANSWER_WITHIN_MS = 15_000;

const PATHS = [
  ...Object.values(ROUTES),
  '/',
  '/index.html',
  '/main.js',
  '/api/feed',
  '/api/publish',
  '/api/time',
  '/api/stats',
  '/api/stats/stream',
  '/api/clients/x/cut',
  '/metrics',
  '/socket.io/socket.io.js',
  '/nope',
];

let lab: Running;
let bystander: SseProbe;
beforeAll(async () => {
  lab = await startLab({
    rate: 50,
    running: true,
    pollRequestsPerSecond: 0,
    headersTimeoutMs: 4_000,
    requestTimeoutMs: 5_000,
  });
  bystander = new SseProbe(lab.url, '?client=bystander');
  await until(() => bystander.messages.length > 0, 20_000, 'the bystander stream to start');
});
afterAll(async () => {
  bystander?.close();
  await lab?.close();
});

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const anyBytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a).toString('latin1'));
// Mostly well-formed, so most requests reach a route and its own checks; some hostile at every level.
const often = <T>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: usual, weight: 6 }, { arbitrary: rare, weight: 1 });
const queryValue = often(
  fc.oneof(
    fc.constantFrom('', '0', '-1', '1e309', 'NaN', '%', '%zz', '%00', '%C3%28', 'a'.repeat(300), '[]', '{}', '1,2'),
    fc.integer().map(String),
    anyBytes(20).map((s) => encodeURIComponent(s)),
  ),
  anyBytes(8),
);
const queryKey = fc.constantFrom(
  'client',
  'since',
  'epoch',
  'timeout',
  'limit',
  'format',
  'compress',
  'transport',
  'x',
);
const query = fc
  .array(fc.tuple(queryKey, queryValue), { maxLength: 6 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
const method = often(
  fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'),
  fc.oneof(fc.constantFrom('CONNECT', 'TRACE'), token, anyBytes(6)),
);
const version = often(
  fc.constant('HTTP/1.1'),
  fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'HTTP/9', 'http/1.1', ''),
);
const headerName = often(
  fc.constantFrom(
    'Host',
    'Content-Length',
    'Transfer-Encoding',
    'Content-Type',
    'Origin',
    'Upgrade',
    'Connection',
    'Last-Event-ID',
    'Accept',
    'Sec-WebSocket-Key',
    'Sec-WebSocket-Version',
  ),
  fc.oneof(token, anyBytes(6)),
);
const headerValue = often(
  fc.constantFrom(
    '127.0.0.1',
    'evil.example',
    '0',
    '-1',
    '99999999999',
    'chunked',
    'gzip, chunked',
    'application/json',
    'text/plain',
    'websocket',
    'Upgrade',
    'close',
    'x'.repeat(20_000),
  ),
  anyBytes(40),
);
const request = fc
  .record({
    method,
    path: fc.constantFrom(...PATHS),
    query,
    version,
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
    withHost: fc.boolean(),
    body: fc.oneof(fc.constant(''), anyBytes(64), fc.constant('{"data":1}')),
  })
  .map(({ method, path, query, version, headers, withHost, body }) => {
    const lines = [`${method} ${path}${query} ${version}`.trimEnd()];
    if (withHost) lines.push('Host: 127.0.0.1');
    for (const [name, value] of headers) lines.push(`${name}: ${value}`);
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
  });

/** Sends raw bytes; resolves with the first status code, or null if the server closed without one. */
function send(bytes: Buffer): Promise<{ status: number | null; hung: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(lab.port, '127.0.0.1');
    let head = '';
    let done = false;
    const finish = (status: number | null, hung = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, hung });
    };
    const timer = setTimeout(() => finish(null, true), ANSWER_WITHIN_MS);
    socket.on('connect', () => {
      socket.write(bytes);
      // Half-close: a request that waits for more body gets its answer (or a close) now.
      socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (match) finish(Number(match[1]));
      else if (head.length > 12) finish(-1);
    });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
  });
}

describe(`HTTP request fuzzing (seed ${SEED}; FUZZ_SEED=${SEED} replays)`, () => {
  it(
    `${RUNS} × ${BATCH} raw requests: documented statuses only, no hang, a bystander unaffected`,
    async () => {
      console.log(`http fuzz seed ${SEED}, ${RUNS} × ${BATCH} requests`);
      const startedAt = performance.now();
      const statuses = new Map<string, number>();
      const before = bystander.messages.length;
      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const answers = await Promise.all(batch.map(send));
          for (const [i, answer] of answers.entries()) {
            const key = answer.hung ? 'hung' : String(answer.status ?? 'closed');
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
            const shown = (batch[i] as Buffer).toString('latin1').slice(0, 200);
            expect(answer.hung, `no answer in ${ANSWER_WITHIN_MS} ms to ${JSON.stringify(shown)}`).toBe(false);
            if (answer.status !== null) {
              expect(
                DOCUMENTED_STATUSES.has(answer.status),
                `status ${answer.status} to ${JSON.stringify(shown)}`,
              ).toBe(true);
            }
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      console.log(`http fuzz seed ${SEED}: ${JSON.stringify(Object.fromEntries(statuses))}`);
      // The server is still up and serving, and the bystander got the feed all along, gap-free.
      const health = await fetch(`${lab.url}/api/feed`);
      expect(health.status).toBe(200);
      await until(() => bystander.messages.length > before + 2, 10_000, 'the bystander to keep receiving');
      const seqs = bystander.messages.map((m) => m.seq);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i], 'bystander gap-free').toBe((seqs[i - 1] ?? 0) + 1);
      writeFuzzReport({
        name: 'http-requests',
        seed: SEED,
        samples: RUNS,
        perSample: BATCH,
        inputs: RUNS * BATCH,
        answers: Object.fromEntries(statuses),
        bystander: { messages: seqs.length, gapFree: true },
        durationMs: performance.now() - startedAt,
      });
    },
    Math.max(120_000, RUNS * 1_500),
  );
});
