/**
 * Whether a response's client is already gone before a handler got to it. Over HTTP/2 a stream
 * can be reset (or its connection torn down by a flood) while Fastify's hooks still run: its
 * 'close' event has fired by the time the handler listens for it, and a held long poll or SSE
 * stream would otherwise wait for a client that no longer exists.
 */
import type { ServerResponse } from 'node:http';

export function isGone(res: ServerResponse): boolean {
  const stream = (res as ServerResponse & { stream?: { destroyed: boolean; closed: boolean } }).stream;
  if (stream !== undefined) return stream.destroyed || stream.closed;
  return res.destroyed || res.socket?.destroyed === true;
}
