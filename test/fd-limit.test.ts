/**
 * `ulimit -n 256` with 1 000 connections (docs/reliability.md): the lab in its own process under a
 * soft and hard limit of 256 open files, then 500 SSE streams and 500 WebSocket upgrades at once.
 * The process must not crash; streams stop at the cap the lab derives from its limit
 * (server/security/fd-limit.ts); every other connection gets a refusal it can read — 503
 * `LAB_TOO_MANY_CONNECTIONS` for an upgrade, 200 + `event: overload` + `retry:` for SSE — or, when
 * the kernel handed it over while no descriptor was free, a close at once (libuv's EMFILE handling),
 * never a hang; and once the crowd is gone, every transport is served again in full.
 *
 * Counted, not timed: the timeouts below only bound a hang.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fdSoftLimit, streamsWithinFdLimit } from '../server/security/fd-limit.js';
import { LISTENING } from '../tools/child-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LIMIT = 256;
const CROWD = 1_000;
/** How long one connection of the crowd may wait for its first answer before it counts as a hang. */
const ANSWER_TIMEOUT_MS = 30_000;

type Outcome = 'stream' | 'refused-503' | 'sse-overload' | 'closed-at-once' | 'other' | 'no-answer';

let child: ChildProcess;
let port = 0;
let output = '';

beforeAll(async () => {
  // The shell sets the limit and execs node: the server process itself runs under it.
  child = spawn(
    'sh',
    [
      '-c',
      `ulimit -n ${LIMIT} && exec "$0" "$@"`,
      process.execPath,
      '--import',
      'tsx',
      'server/main.ts',
      '--port',
      '0',
      '--https-port',
      '0',
      '--rate',
      '20',
      '--poll-rate-limit',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const deadline = Date.now() + 60_000;
  while (!LISTENING.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the lab did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  port = Number(new URL(output.match(LISTENING)?.[1] ?? '').port);
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

/** One raw connection of the crowd: the request, then what came back first. */
function crowdMember(kind: 'sse' | 'websocket', i: number): { outcome: Promise<Outcome>; socket: net.Socket } {
  const socket = net.connect(port, '127.0.0.1');
  const request =
    kind === 'sse'
      ? `GET /api/sse?client=crowd-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`
      : `GET /api/ws?client=crowd-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
  socket.setNoDelay(true);
  socket.on('connect', () => socket.write(request));
  const outcome = new Promise<Outcome>((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve('no-answer'), ANSWER_TIMEOUT_MS);
    const judge = (): Outcome | null => {
      if (text.startsWith('HTTP/1.1 101')) return 'stream';
      if (text.startsWith('HTTP/1.1 503')) return 'refused-503';
      if (text.startsWith('HTTP/1.1 200')) {
        if (text.includes('event: overload')) return 'sse-overload';
        // A stream's first event (hello or a message) follows its headers.
        if (/\r\n\r\n[\s\S]*\n\n/.test(text)) return 'stream';
        return null;
      }
      return text.includes('\r\n\r\n') ? 'other' : null;
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const verdict = judge();
      if (verdict) {
        clearTimeout(timer);
        resolve(verdict);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(judge() ?? (text === '' ? 'closed-at-once' : 'other'));
    });
  });
  return { outcome, socket };
}

describe(`the lab under ulimit -n ${LIMIT}`, () => {
  it(`${CROWD} connections at once: no crash, an answer for every one, full service after`, async () => {
    const limits = await import('node:fs').then((fs) => fs.readFileSync(`/proc/${child.pid}/limits`, 'utf8'));
    expect(limits).toMatch(new RegExp(`Max open files\\s+${LIMIT}\\s+${LIMIT}`));

    const crowd = Array.from({ length: CROWD }, (_, i) => crowdMember(i % 2 === 0 ? 'sse' : 'websocket', i));
    const outcomes = await Promise.all(crowd.map((c) => c.outcome));
    const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
    const tally = Object.fromEntries(
      (['stream', 'refused-503', 'sse-overload', 'closed-at-once', 'other', 'no-answer'] as const).map((o) => [
        o,
        count(o),
      ]),
    ) as Record<Outcome, number>;
    console.log(`ulimit -n ${LIMIT}, ${CROWD} connections: ${JSON.stringify(tally)}`);
    // No crash, no hang, and no answer outside the documented ones.
    expect(child.exitCode, output).toBeNull();
    expect(tally['no-answer']).toBe(0);
    expect(tally.other).toBe(0);
    // Streams up to the cap (server/security/fd-limit.ts: 256 − 64 kept = 192), the rest refused:
    // in words while a descriptor was free to answer with, else closed at once — never left hanging.
    expect(tally.stream).toBeGreaterThan(0);
    expect(tally.stream).toBeLessThanOrEqual(streamsWithinFdLimit(Number.POSITIVE_INFINITY, LIMIT));
    expect(tally['refused-503'] + tally['sse-overload']).toBeGreaterThan(0);
    expect(output).toContain(`ulimit -n is ${LIMIT}: at most 192 streams`);

    for (const c of crowd) c.socket.destroy();

    // Full service after: every transport, in full (a message of the feed on each).
    const url = `http://127.0.0.1:${port}`;
    const poll = await waitFor(async () => {
      const answer = await fetch(`${url}/api/poll?client=after-poll`);
      return answer.status === 200 ? ((await answer.json()) as { head: number }) : null;
    });
    expect(poll.head).toBeGreaterThan(0);
    const sse = await waitFor(
      () =>
        new Promise<number | null>((resolve) => {
          const source = new EventSource(`${url}/api/sse?client=after-sse`);
          const timer = setTimeout(() => {
            source.close();
            resolve(null);
          }, 5_000);
          source.addEventListener('message', (event) => {
            clearTimeout(timer);
            source.close();
            resolve(JSON.parse(event.data).seq as number);
          });
        }),
    );
    expect(sse).toBeGreaterThan(0);
    const ws = await waitFor(
      () =>
        new Promise<number | null>((resolve) => {
          const socket = new WebSocket(`ws://127.0.0.1:${port}/api/ws?client=after-ws`);
          const timer = setTimeout(() => {
            socket.terminate();
            resolve(null);
          }, 5_000);
          socket.on('error', () => {});
          socket.on('message', (data) => {
            const frame = JSON.parse(String(data)) as { type?: string; seq?: number };
            if (frame.type !== undefined && frame.type !== 'message') return;
            clearTimeout(timer);
            socket.close();
            resolve(frame.seq ?? null);
          });
        }),
    );
    expect(ws).toBeGreaterThan(0);
    expect(child.exitCode, output).toBeNull();
  }, 180_000);
});

/** Try `attempt` until it gives a value (a server with its descriptors just freed may need a moment). */
async function waitFor<T>(attempt: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== null) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no full service within ${timeoutMs} ms after the crowd left: ${String(last)}`);
}

describe('the stream cap from the descriptor limit', () => {
  it('keeps a quarter of the descriptors (at least 64) and never raises maxStreams', () => {
    expect(streamsWithinFdLimit(10_000, 256)).toBe(192);
    expect(streamsWithinFdLimit(10_000, 1_024)).toBe(768);
    expect(streamsWithinFdLimit(10_000, 20_000)).toBe(10_000);
    expect(streamsWithinFdLimit(10_000, null)).toBe(10_000);
    expect(streamsWithinFdLimit(10_000, 40)).toBe(1);
    expect(
      fdSoftLimit(
        'Limit Soft Limit Hard Limit Units\nMax open files            256                  4096                 files\n',
      ),
    ).toBe(256);
    expect(fdSoftLimit('Max open files unlimited unlimited files\n')).toBe(Number.POSITIVE_INFINITY);
  });
});
