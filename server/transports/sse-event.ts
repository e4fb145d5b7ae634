/**
 * What an SSE stream writes (docs/contract.md, `GET /api/sse`): the hello, each message, a reset,
 * and each live message's bytes built once for every stream — the event bare (HTTP/2, HTTP/1.0, a
 * catch-up through `res.write`) and as one HTTP/1.1 chunk, which every chunked stream then writes
 * straight to its socket (sse-stream.ts).
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { sseIdLine } from '../../contract/floor.js';
import type { ResetNotice } from '../../contract/index.js';
import type { Feed, FeedEntry } from '../feed/feed.js';
import { hotPath } from './fan-out.js';
import type { TickWire } from './tick-batch.js';

export function sseEvent(entry: FeedEntry, epoch: string): string {
  // The message JSON has no raw CR/LF (JSON escapes them), so one data: line always suffices.
  return `${sseIdLine(epoch, entry.seq)}data: ${entry.text}\n\n`;
}

/**
 * A reset carries the id of the position it leaves the client at, so EventSource's own
 * Last-Event-ID moves past it and a reconnect does not earn the same reset twice.
 */
export function sseReset(notice: ResetNotice): string {
  return `${sseIdLine(notice.epoch, notice.from - 1)}event: reset\ndata: ${JSON.stringify(notice)}\n\n`;
}

/**
 * The stream's first event: `retry:` advice, then a `hello` that tells the client where it
 * stands (SSE has no handshake of its own). Its `id:` is the position the stream starts from, so
 * even a stream that drops before its first message reconnects with a cursor, not live-only.
 */
export function sseHello(
  retryMs: number,
  epoch: string,
  position: number,
  head: number,
  oldest: number,
  instance?: string,
): string {
  // `instance` only behind a broker (many instances): which one serves this stream.
  const hello = instance === undefined ? { epoch, head, oldest } : { epoch, head, oldest, instance };
  return `retry: ${retryMs}\n${sseIdLine(epoch, position)}event: hello\ndata: ${JSON.stringify(hello)}\n\n`;
}

/**
 * How a stream takes its live events: `chunk`, a prebuilt HTTP/1.1 chunk written straight to the
 * socket; `event`, the bare event through `res.write` (HTTP/2, HTTP/1.0, a response queued behind
 * a pipelined one), which frames it the stream's own way.
 */
export type SseKind = 'chunk' | 'event';

const CRLF = Buffer.from('\r\n');

/**
 * Kept per entry (as long as the feed's retention ring holds it), so a catch-up, a mid-tick join
 * and a tick with both kinds of stream reuse what the publish built. Only the bare event is kept:
 * a chunk is built from it once per tick (tick-batch.ts keeps a tick's bytes per kind).
 */
const eventByEntry = new WeakMap<FeedEntry, Buffer>();

/** The entry's SSE event as bytes (an entry's epoch is the one of the feed it was published in). */
export function sseEventBytes(entry: FeedEntry, feed: Feed): Buffer {
  let event = eventByEntry.get(entry);
  if (event === undefined) {
    hotPath.sseEventsBuilt += 1;
    event = Buffer.from(sseEvent(entry, feed.epoch));
    eventByEntry.set(entry, event);
  }
  return event;
}

/** The event as one HTTP/1.1 chunk: `<length in hex>\r\n<event>\r\n`, what `res.write` would frame. */
function chunkOf(event: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${event.length.toString(16)}\r\n`), event, CRLF]);
}

/** The SSE fan-out's wire (tick-batch.ts) for one lab's feed. */
export function sseWire(feed: Feed): TickWire<SseKind> {
  return {
    bytesOf: (entry, kind) => (kind === 'event' ? sseEventBytes(entry, feed) : chunkOf(sseEventBytes(entry, feed))),
    concatenated: () => {
      hotPath.sseBatchesBuilt += 1;
    },
  };
}

/**
 * The socket of an HTTP/1.1 response in chunked encoding that owns it, with nothing of Node's
 * waiting in front (else null: HTTP/2, HTTP/1.0 without chunks, a response queued behind a pipelined
 * one). Writing a prebuilt chunk there puts on the wire exactly the bytes `res.write` would —
 * `<length in hex>\r\n<event>\r\n` — without Node framing it again for every stream.
 */
export function chunkedSocketOf(res: ServerResponse): Socket | null {
  const internals = res as ServerResponse & { chunkedEncoding?: boolean; outputData?: unknown[] };
  const socket = res.socket as (Socket & { _httpMessage?: unknown }) | null;
  if (internals.chunkedEncoding !== true || socket === null || socket._httpMessage !== res) return null;
  return Array.isArray(internals.outputData) && internals.outputData.length === 0 ? socket : null;
}
