/**
 * Origin check for WebSocket upgrades and publishes. CORS does not protect a WebSocket handshake
 * (RFC 6455 §10.2: the server should check Origin), so a page on another site could otherwise
 * open a socket to a lab on a student's machine. No Origin (curl, Node clients) is allowed.
 */
import type { FastifyRequest } from 'fastify';
import { ForeignOriginError } from './errors.js';

export function isSameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function checkOrigin(request: FastifyRequest, allowed: readonly string[]): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  // HTTP/2 has no Host header: `:authority` says the same (RFC 9113 §8.3.1).
  const host = request.headers.host ?? (request.headers[':authority'] as string | undefined);
  if (isSameOrigin(origin, host) || allowed.includes(origin)) return;
  throw new ForeignOriginError(origin);
}
