/**
 * One way to ask any transport "what do you send me for this query?", so a test can state a rule
 * once and check it on all four: the messages, the reset notice, and how a refusal looks
 * (HTTP status, or WebSocket close code).
 */

import { io } from 'socket.io-client';
import type { FeedMessage, ResetNotice, TransportName } from '../contract/index.js';
import { ROUTES, SOCKET_IO_EVENTS } from '../contract/index.js';
import { until, WsProbe } from './harness.js';

export interface Answer {
  messages: FeedMessage[];
  reset: ResetNotice | null;
  /** HTTP status of the answer (101 for an accepted WebSocket). */
  status: number;
  /** WebSocket close code, when the server closed it. */
  closeCode: number | null;
  /** The body of a refused HTTP request, or the close reason. */
  error: string | null;
}

/** Reads one SSE stream until `count` messages (and resets) arrived, or the stream ended. */
async function readSse(
  url: string,
  count: number,
  headers: Record<string, string>,
  fetcher: typeof fetch,
): Promise<Answer> {
  const abort = new AbortController();
  const res = await fetcher(url, { headers, signal: abort.signal });
  const answer: Answer = { messages: [], reset: null, status: res.status, closeCode: null, error: null };
  if (res.status !== 200 || !res.body) {
    answer.error = await res.text();
    return answer;
  }
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body.getReader();
  // Asked for nothing, we still read briefly: a reset notice may be all there is.
  const deadline = setTimeout(() => abort.abort(), count === 0 ? 300 : 5_000);
  try {
    while (answer.messages.length < count || (count === 0 && answer.reset === null)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data !== undefined && event === 'reset') answer.reset = JSON.parse(data);
        else if (data !== undefined && event === 'message') answer.messages.push(JSON.parse(data));
        end = buffer.indexOf('\n\n');
      }
    }
  } catch {
    // aborted at the deadline: return what arrived
  } finally {
    clearTimeout(deadline);
    abort.abort();
  }
  return answer;
}

async function readWs(base: string, query: string, count: number): Promise<Answer> {
  const probe = await WsProbe.open(base, query);
  await until(() => probe.messages().length >= count || probe.closeCode !== null, 5_000, 'websocket frames').catch(
    () => {},
  );
  // A refusal closes right after hello: give the close frame its moment.
  if (count === 0) await until(() => probe.closeCode !== null, 300).catch(() => {});
  const answer: Answer = {
    messages: probe.messages(),
    reset: (probe.controls('reset')[0] as unknown as ResetNotice) ?? null,
    status: 101,
    closeCode: probe.closeCode,
    error: probe.closeCode !== null ? probe.closeReason : null,
  };
  probe.ws.close();
  if (answer.reset) delete (answer.reset as { type?: string }).type;
  return answer;
}

/**
 * Socket.IO, asked with a real socket.io-client: the query's `since`/`epoch` go in the handshake
 * `auth`, as the lab's Socket.IO clients send them. A refusal is a `connect_error`: `error` is
 * its `data` (the lab's `{code, message}`) as JSON, and `status` the HTTP status Engine.IO got
 * (200 when Engine.IO connected and Socket.IO refused).
 */
async function readSocketIo(
  base: string,
  query: string,
  count: number,
  headers: Record<string, string>,
): Promise<Answer> {
  const params = new URLSearchParams(query.replace(/^\?/, ''));
  const auth: Record<string, string> = {};
  for (const key of ['since', 'epoch']) {
    const value = params.get(key);
    if (value !== null) auth[key] = value;
  }
  const client = params.get('client');
  const socket = io(base, {
    path: ROUTES['socket.io'],
    auth,
    query: client === null ? {} : { client },
    extraHeaders: headers,
    reconnection: false,
    forceNew: true,
  });
  const answer: Answer = { messages: [], reset: null, status: 200, closeCode: null, error: null };
  let hello = false;
  socket.on(SOCKET_IO_EVENTS.hello, () => {
    hello = true;
  });
  socket.on(SOCKET_IO_EVENTS.feed, (message: FeedMessage) => answer.messages.push(message));
  socket.on(SOCKET_IO_EVENTS.reset, (notice: ResetNotice) => {
    answer.reset = notice;
  });
  socket.on('connect_error', (error: Error & { data?: unknown; description?: unknown }) => {
    answer.error = JSON.stringify(error.data ?? { message: error.message });
    if (typeof error.description === 'number') answer.status = error.description;
  });
  try {
    await until(
      () => (hello && answer.messages.length >= count) || answer.error !== null,
      5_000,
      'socket.io events',
    ).catch(() => {});
    // A reset follows the hello at once: give it its moment when nothing else is awaited.
    if (count === 0 && answer.error === null) await until(() => answer.reset !== null, 300).catch(() => {});
  } finally {
    socket.disconnect();
  }
  return answer;
}

/**
 * Ask `transport` with `query` (e.g. `?since=3&epoch=x`); wait for `count` messages where the
 * transport streams. Polls answer once; long polls with their default timeout.
 */
export async function ask(
  transport: TransportName,
  base: string,
  query: string,
  count: number,
  headers: Record<string, string> = {},
  /** Another fetch (undici's with HTTP/2 enabled, say); the WebSocket ignores it. */
  fetcher: typeof fetch = fetch,
): Promise<Answer> {
  const url = `${base}${ROUTES[transport]}${query}`;
  switch (transport) {
    case 'short-poll':
    case 'long-poll': {
      const res = await fetcher(url, { headers });
      const text = await res.text();
      if (res.status !== 200) return { messages: [], reset: null, status: res.status, closeCode: null, error: text };
      const body = JSON.parse(text);
      return { messages: body.messages, reset: body.reset ?? null, status: 200, closeCode: null, error: null };
    }
    case 'sse':
      return readSse(url, count, headers, fetcher);
    case 'websocket':
      return readWs(base, query, count);
    case 'socket.io':
      return readSocketIo(base, query, count, headers);
  }
}
