/**
 * Who a request's traffic belongs to: its route's transport (from the route's `config.transport`,
 * else `other`) and its client id (a malformed one counts as no client).
 */
import type { FastifyRequest } from 'fastify';
import { isClientId, type TransportName } from '../../contract/index.js';
import { routeConfig } from '../route-config.js';
import type { Attribution } from './ledger.js';

/** Worked out once, when the accounting hook first asks, and kept on the request for its handler. */
export function attributionOf(request: FastifyRequest): Attribution {
  if (request.labWho !== null) return request.labWho;
  const client = (request.query as Record<string, unknown> | undefined)?.client;
  request.labWho = {
    bucket: routeConfig(request).transport ?? 'other',
    client: isClientId(client) ? client : null,
    held: null,
  };
  return request.labWho;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `attributionOf`; null until then. */
    labWho: Attribution | null;
  }
  interface FastifyContextConfig {
    /** The transport a route serves: its traffic is counted there (routes without one count in `other`). */
    transport?: TransportName;
  }
}
