/**
 * `fetch` on node:http, the one copy of it, in two faces:
 *
 * - `createHttpFetch(agent)`: a `FetchLike` (client/transports/types.ts) that reads the whole body,
 *   for the poll clients of the scenario runner and of the tests. It sends byte for byte the
 *   request Node's own fetch (undici) sends — same header names, values and order — so the wire
 *   bytes are the same; only the client's CPU differs: ~50 µs a request instead of ~250 µs on this
 *   kind of machine. A group's clients share one thread, so every microsecond one client spends is
 *   added to the event age of the clients served after it (ten long polls answered together
 *   measured a p50 of 5.6 ms through undici's fetch and 2.4 ms through node:http). The agent is the
 *   caller's: a test that needs one client's requests on one client's sockets passes its own.
 * - `createStreamingFetch()`: the `fetch` the eventsource package takes, streaming the body, one
 *   socket per stream, closed the moment the EventSource is closed (Node's built-in fetch keeps
 *   its pool to itself and may idle a spare socket for seconds after an aborted stream).
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { FetchLike as EventSourceFetch } from 'eventsource';
import type { FetchInit, FetchLike, ResponseLike } from '../client/transports/types.js';

interface Outgoing {
  method: string;
  headers: string[] | http.OutgoingHttpHeaders;
  body?: string;
  signal?: AbortSignal;
  agent: http.Agent | false;
}

/** Sends one request; resolves with the response once its head is in. An abort rejects with an AbortError. */
function send(url: string, outgoing: Outgoing): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: outgoing.method,
      agent: outgoing.agent,
      setHost: !Array.isArray(outgoing.headers),
      headers: outgoing.headers,
    });
    const abort = () => {
      const error = new DOMException('aborted', 'AbortError');
      request.destroy(error);
      reject(error);
    };
    if (outgoing.signal?.aborted) return abort();
    outgoing.signal?.addEventListener('abort', abort, { once: true });
    request.once('error', reject);
    request.once('response', resolve);
    request.end(outgoing.body);
  });
}

/** undici's headers for fetch(url, {cache: 'no-store'}), in its order, with the caller's after `connection`. */
function fetchHeaders(url: URL, init: FetchInit): string[] {
  const headers = ['host', url.host, 'connection', 'keep-alive'];
  for (const [name, value] of Object.entries(init.headers ?? {})) headers.push(name.toLowerCase(), value);
  headers.push(
    'accept',
    '*/*',
    'accept-language',
    '*',
    'sec-fetch-mode',
    'cors',
    'user-agent',
    'node',
    'pragma',
    'no-cache',
    'cache-control',
    'no-cache',
    'accept-encoding',
    'gzip, deflate',
  );
  if (init.body !== undefined) headers.push('content-length', String(Buffer.byteLength(init.body)));
  return headers;
}

export function createHttpFetch(agent: http.Agent = new http.Agent({ keepAlive: true })): FetchLike {
  return async (input: string, init: FetchInit = {}): Promise<ResponseLike> => {
    const url = new URL(input);
    const response = await send(input, {
      method: init.method ?? 'GET',
      headers: fetchHeaders(url, init),
      body: init.body,
      signal: init.signal,
      agent,
    });
    const encoding = response.headers['content-encoding'];
    const stream =
      encoding === 'gzip'
        ? response.pipe(zlib.createGunzip())
        : encoding === 'deflate'
          ? response.pipe(zlib.createInflate())
          : response;
    const chunks: Buffer[] = [];
    const body = new Promise<string>((done, fail) => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('end', () => done(Buffer.concat(chunks).toString('utf8')));
      stream.once('error', fail);
      response.once('aborted', () => fail(new Error('response aborted')));
    });
    // Read at once, as fetch buffers: a body nobody reads must not stall the socket.
    body.catch(() => undefined);
    return { status: response.statusCode ?? 0, text: () => body };
  };
}

export function createStreamingFetch(): EventSourceFetch {
  return async (url, init) => {
    const response = await send(String(url), {
      method: 'GET',
      headers: init.headers as http.OutgoingHttpHeaders,
      signal: init.signal as AbortSignal | undefined,
      agent: false,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    return {
      body: Readable.toWeb(response) as ReadableStream<Uint8Array>,
      url: String(url),
      status: response.statusCode ?? 0,
      redirected: false,
      headers,
    };
  };
}
