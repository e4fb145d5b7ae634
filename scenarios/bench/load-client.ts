/**
 * The benchmark's load generator: one child process (forked, driven over IPC) holding N plain
 * clients of one transport against one server — the lab or a bare baseline, the very same code
 * for both. Its own CPU is read from /proc by the benchmark, so a run can tell when the load
 * generator, not the server, was the bottleneck.
 *
 * The clients are deliberately thin (no library, no audit): a WebSocket reads `"ts":` from each
 * message frame, SSE splits events on a blank line, a long poll parses its answer and asks again.
 * Frames and events that are not feed messages (the lab's hello, resets) are skipped. Event age is
 * receive time − `ts`, both `performance.timeOrigin + performance.now()` on this one host.
 */
import http from 'node:http';
import { WebSocket } from 'ws';

export type LoadTransport = 'websocket' | 'sse' | 'long-poll' | 'short-poll';

export type LoadCommand =
  | { cmd: 'open'; transport: LoadTransport; url: string; count: number; since: number; firstId: number }
  | { cmd: 'measure' }
  | { cmd: 'result' }
  | { cmd: 'close' };

export interface LoadResult {
  deliveries: number;
  /** Event age, ms. */
  ageMs: { p50: number; p99: number; max: number };
  /** Long and short polls answered while measuring. */
  answers: number;
  errors: number;
}

const now = () => performance.timeOrigin + performance.now();
/** Connections opened at once: the server's accept backlog is 511, and a SYN retry costs a second. */
const OPEN_BATCH = 100;
const LONG_POLL_TIMEOUT_MS = 20_000;

let ages: number[] = [];
let deliveries = 0;
let answers = 0;
let errors = 0;
let measuring = false;
let closers: (() => void)[] = [];
const newAgent = () =>
  new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: 100_000 });
let agent = newAgent();

/** A message's `ts`, read without parsing the rest: `{"epoch":"…","seq":N,"ts":T,…`. */
function tsOf(text: string): number {
  const at = text.indexOf('"ts":');
  return at < 0 ? Number.NaN : Number.parseFloat(text.slice(at + 5, at + 30));
}

function received(ts: number, at: number): void {
  if (!measuring || Number.isNaN(ts)) return;
  deliveries += 1;
  ages.push(at - ts);
}

function openWebSocket(url: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { perMessageDeflate: false });
    socket.on('message', (data: Buffer) => {
      const at = now();
      // Feed messages start `{"epoch"`; the lab's control frames start `{"type"`.
      if (data[2] !== 0x65) return;
      received(tsOf(data.toString('latin1', 0, 96)), at);
    });
    socket.once('open', () => resolve());
    socket.once('error', () => {
      errors += 1;
      resolve();
    });
    closers.push(() => socket.terminate());
  });
}

function openSse(url: string): Promise<void> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent, headers: { accept: 'text/event-stream' } }, (response) => {
      resolve();
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const at = now();
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          // Named events (the lab's hello and resets) and comments are not feed messages.
          if (!event.includes('event:') && event.includes('data: ')) received(tsOf(event), at);
          end = buffer.indexOf('\n\n');
        }
      });
      response.on('error', () => {});
    });
    request.on('error', () => {
      errors += 1;
      resolve();
    });
    closers.push(() => request.destroy());
  });
}

function openLongPoll(url: string, since: number): Promise<void> {
  let cursor = since;
  let stopped = false;
  let current: http.ClientRequest | null = null;
  closers.push(() => {
    stopped = true;
    current?.destroy();
  });
  const poll = (first: () => void) => {
    if (stopped) return;
    const target = `${url}${url.includes('?') ? '&' : '?'}since=${cursor}&timeout=${LONG_POLL_TIMEOUT_MS}`;
    current = http.get(target, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        const at = now();
        try {
          const answer = JSON.parse(body) as { messages: { seq: number; ts: number }[] };
          if (measuring) answers += 1;
          for (const message of answer.messages) {
            received(message.ts, at);
            cursor = Math.max(cursor, message.seq);
          }
        } catch {
          errors += 1;
        }
        poll(() => {});
      });
    });
    // The request is on the wire once its socket is connected: the server holds it from then on.
    current.once('socket', (socket) => {
      if (socket.connecting) socket.once('connect', first);
      else first();
    });
    current.on('error', () => {
      if (!stopped) errors += 1;
      first();
    });
  };
  return new Promise((resolve) => poll(resolve));
}

/** One poll, then the keep-alive socket stays open and idle (for the idle-memory row). */
function openShortPoll(url: string): Promise<void> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve());
    });
    request.on('error', () => {
      errors += 1;
      resolve();
    });
  });
}

async function open(command: Extract<LoadCommand, { cmd: 'open' }>): Promise<number> {
  const { transport, url, count, since, firstId } = command;
  for (let i = 0; i < count; i += OPEN_BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(count, i + OPEN_BATCH); j++) {
      const target = `${url}${url.includes('?') ? '&' : '?'}client=bench-${firstId + j}`;
      if (transport === 'websocket') batch.push(openWebSocket(target));
      else if (transport === 'sse') batch.push(openSse(target));
      else if (transport === 'long-poll') batch.push(openLongPoll(target, since));
      else batch.push(openShortPoll(target));
    }
    await Promise.all(batch);
  }
  return errors;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function result(): LoadResult {
  measuring = false;
  const sorted = ages.sort((a, b) => a - b);
  return {
    deliveries,
    ageMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN },
    answers,
    errors,
  };
}

process.on('message', async (command: LoadCommand) => {
  const reply = (value: unknown) => process.send?.({ cmd: command.cmd, value });
  switch (command.cmd) {
    case 'open':
      return reply(await open(command));
    case 'measure':
      ages = [];
      deliveries = 0;
      answers = 0;
      errors = 0;
      measuring = true;
      return reply(true);
    case 'result':
      return reply(result());
    case 'close':
      for (const close of closers) close();
      closers = [];
      agent.destroy();
      agent = newAgent();
      return reply(true);
  }
});
process.send?.({ cmd: 'ready', value: true });
