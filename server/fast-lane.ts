/**
 * The fast lane: a well-formed poll on the memory backend answered before Fastify's router.
 *
 * Why: a short poll is the smallest thing the lab serves, so what Fastify's request lifecycle costs
 * (its Request and Reply objects, routing, the hook runners, the validation step, `reply.send`) is
 * most of the gap between the lab and a bare server (`npm run bench:poll-machinery`). For a
 * request the lane can prove Fastify would answer 200, it does the same work itself, in the same
 * order, and writes the same bytes; EVERYTHING else goes to Fastify untouched, so every refusal
 * (400, 403, 404, 429, a future cursor) stays Fastify's, word for word.
 *
 * A request is the lane's only when all of these hold, checked before anything is counted:
 * - `lab.options.fastPollLane` is on, the lab is not closing, and (server/app.ts) the feed is in
 *   memory and the logger is off: the lane writes no request log, so with a logger every request
 *   goes to Fastify, which logs it;
 * - `GET` of a path a lane was added for, no body (no Content-Length, no Transfer-Encoding) and no
 *   `Origin` (so no CORS for a network listener, server/networks.ts);
 * - the Host guard lets it through (server/security/host.ts, the same check);
 * - its query is plain `name=value` pairs of the route's own fields, each once, in characters that
 *   need no decoding, and the route's schema accepts it (the same direct check Fastify's validator
 *   runs, server/query.ts);
 * - the poll limit would let it through (server/security/poll-limit.ts, the same limiter);
 * - the lane's own `prepare` says it can answer (the short poll: the cursor resolves now, and is
 *   not in the future).
 * Then it does what the hook steps do (server/app.ts: the request counted, its protocol noted, its
 * bytes metered from here; a poll token taken), answers, and settles the socket when the answer
 * has been written, as the accounting's onResponse hook does. HTTP/2 never comes here (the h2 app
 * has its own server). docs/architecture.md says what the lane skips.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TObject } from '@sinclair/typebox';
import { isClientId, type TransportName } from '../contract/index.js';
import type { Attribution } from './accounting/ledger.js';
import { protocolOf } from './h2/protocols.js';
import type { Lab } from './lab.js';
import { directCheck } from './query.js';
import { bucketKey, type PollLimiter } from './security/poll-limit.js';

/** What a route hands the lane: its transport, its query schema, and its answer in two halves. */
export interface Lane<Prepared> {
  transport: TransportName;
  schema: TObject;
  /**
   * What the answer will be, or null to hand the request to Fastify. It may count nothing and
   * change nothing: the request may still go to Fastify after it.
   */
  prepare(query: Record<string, unknown>): Prepared | null;
  /** Answers on `response`, counting what only the transport knows (messages, empty answers). */
  answer(prepared: Prepared, who: Attribution, response: ServerResponse): void;
}

interface Entry {
  lane: Lane<unknown>;
  check: (query: Record<string, unknown>) => Record<string, unknown> | undefined;
  fields: ReadonlySet<string>;
  limited: boolean;
}

/** A value that needs no percent-decoding and that every field's pattern allows at most. */
const PLAIN = /^[0-9A-Za-z_.-]+$/;

/**
 * `a=1&b=2` as a query-string parser reads it, when every pair is plain (no `%`, `+`, empty name or
 * value, repeated or unknown name); null for anything else, which Fastify then reads itself.
 */
export function plainQuery(search: string, fields: ReadonlySet<string>): Record<string, string> | null {
  const query: Record<string, string> = {};
  if (search === '') return query;
  let start = 0;
  while (start <= search.length) {
    let end = search.indexOf('&', start);
    if (end < 0) end = search.length;
    const eq = search.indexOf('=', start);
    if (eq < 0 || eq >= end) return null;
    const name = search.slice(start, eq);
    const value = search.slice(eq + 1, end);
    if (!fields.has(name) || name in query || !PLAIN.test(value)) return null;
    query[name] = value;
    start = end + 1;
  }
  return query;
}

export class FastLane {
  private readonly lanes = new Map<string, Entry>();
  /** Requests the lane answered (the rest went to Fastify): counted for the tests. */
  served = 0;
  /** One function for every answer's 'finish' (no closure per request): settle its socket. */
  private readonly settle: (this: ServerResponse) => void;

  constructor(
    private readonly lab: Lab,
    private readonly limiter: PollLimiter,
    private readonly hostRefusal: (request: IncomingMessage) => Error | undefined,
  ) {
    const { meter } = lab.accounting;
    this.settle = function settleAnswered(this: ServerResponse) {
      meter.settleSocket(this.req.socket);
    };
  }

  /** Serves `path`'s well-formed requests by `lane`; `limited`: the poll limit applies (both polls). */
  add<Prepared>(path: string, lane: Lane<Prepared>, limited = true): void {
    const check = directCheck(lane.schema);
    if (check === null) throw new Error(`the fast lane cannot check ${path}'s query schema directly`);
    const fields = new Set(Object.keys(lane.schema.properties));
    this.lanes.set(path, { lane: lane as Lane<unknown>, check, fields, limited });
  }

  /** Puts the lane in front of Fastify's own request listener on `server` (the HTTP/1.1 app's). */
  install(server: Server): void {
    const listeners = server.listeners('request');
    const fastify = listeners[0] as ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
    if (listeners.length !== 1 || fastify === undefined)
      throw new Error(`the fast lane expects one request listener (Fastify's), found ${listeners.length}`);
    server.removeListener('request', fastify);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (!this.serve(request, response)) fastify.call(server, request, response);
    });
  }

  /** Answers `request` if it is the lane's (true); false hands it, untouched, to Fastify. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const { lab } = this;
    if (!lab.options.fastPollLane || lab.closing || request.method !== 'GET') return false;
    const url = request.url ?? '';
    const mark = url.indexOf('?');
    const entry = this.lanes.get(mark < 0 ? url : url.slice(0, mark));
    if (entry === undefined) return false;
    const headers = request.headers;
    if (headers.origin !== undefined || headers['content-length'] !== undefined) return false;
    if (headers['transfer-encoding'] !== undefined) return false;
    if (this.hostRefusal(request) !== undefined) return false;
    const raw = plainQuery(mark < 0 ? '' : url.slice(mark + 1), entry.fields);
    if (raw === null) return false;
    const query = entry.check(raw);
    if (query === undefined) return false;
    const client = raw.client;
    const who: Attribution = { bucket: entry.lane.transport, client: isClientId(client) ? client : null };
    const key = bucketKey(who.client, request.socket.remoteAddress as string);
    if (entry.limited && !this.limiter.allows(key)) return false;
    const prepared = entry.lane.prepare(query);
    if (prepared === null) return false;
    // The request is the lane's from here: the hook steps' work, in their order (server/app.ts).
    const { accounting } = lab;
    accounting.protocols.note(who, protocolOf(request));
    accounting.meter.begin(request.socket, who, response);
    accounting.request(who);
    if (entry.limited) this.limiter.take(key);
    this.served++;
    response.on('finish', this.settle);
    entry.lane.answer(prepared, who, response);
    return true;
  }
}
