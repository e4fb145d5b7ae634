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
 * bytes metered from here; a poll token taken) and answers. HTTP/2 never comes here (the h2 app
 * has its own server). docs/architecture.md says what the lane skips.
 *
 * It does not settle the socket when the answer is written, as Fastify's onResponse hook does
 * (server/accounting/plugin.ts): settling only moves bytes from the socket's marks into the ledger
 * (server/accounting/wire-meter.ts), and every moment that could change whose they are or show
 * them settles first — the next request's `begin` (the answer's bytes out to this request, the
 * next one's bytes in to it), the socket's destroy, and every reader of the counters (`/api/stats`
 * and its stream, `/api/stats/h2`, `/metrics`, the classroom's view: `settleAll`). So the counts
 * any reader sees are the same, and a poll spares a 'finish' listener and a settlement.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TObject } from '@sinclair/typebox';
import { isClientId, type TransportName } from '../contract/index.js';
import type { Attribution } from './accounting/ledger.js';
import { protocolOf } from './h2/protocols.js';
import type { Lab } from './lab.js';
import { type LaneQuery, laneQuery } from './query.js';
import { bucketKey, type PollLimiter } from './security/poll-limit.js';

/** What a route hands the lane: its transport, its query schema, and its answer in two halves. */
export interface Lane<Prepared> {
  transport: TransportName;
  schema: TObject;
  /**
   * What the answer will be, or null to hand the request to Fastify. It may count nothing and
   * change nothing: the request may still go to Fastify after it. `query` has every field of the
   * schema (an absent one undefined, a default filled in); it is filled again for the next request
   * (server/query.ts laneQuery), so `prepare` keeps none of it.
   */
  prepare(query: Record<string, unknown>): Prepared | null;
  /** Answers on `response`, counting what only the transport knows (messages, empty answers). */
  answer(prepared: Prepared, who: Attribution, response: ServerResponse): void;
}

interface Entry {
  path: string;
  lane: Lane<unknown>;
  query: LaneQuery;
  limited: boolean;
  /**
   * The attribution of the last request answered: the next one of the same client (the same
   * string, server/query.ts laneQuery) takes it as it is. Its bucket and client never change once
   * made (the ledger only fills in `held`, that same client's counters), so one object may stand
   * for many requests.
   */
  who: Attribution;
}

export class FastLane {
  /** A lane per path: at most a few (the two polls), so found by comparing, not by a map of sliced paths. */
  private readonly lanes: Entry[] = [];
  /** Requests the lane answered (the rest went to Fastify): counted for the tests. */
  served = 0;

  constructor(
    private readonly lab: Lab,
    private readonly limiter: PollLimiter,
    private readonly hostRefusal: (request: IncomingMessage) => Error | undefined,
  ) {}

  /** Serves `path`'s well-formed requests by `lane`; `limited`: the poll limit applies (both polls). */
  add<Prepared>(path: string, lane: Lane<Prepared>, limited = true): void {
    const query = laneQuery(lane.schema);
    if (query === null) throw new Error(`the fast lane cannot check ${path}'s query schema directly`);
    if (this.lanes.some((entry) => entry.path === path)) throw new Error(`the fast lane already serves ${path}`);
    const who: Attribution = { bucket: lane.transport, client: null, held: null };
    this.lanes.push({ path, lane: lane as Lane<unknown>, query, limited, who });
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

  /** The lane of `url`'s path (the part before any `?`), if any. */
  private entryOf(url: string): Entry | undefined {
    for (let i = 0; i < this.lanes.length; i++) {
      const entry = this.lanes[i] as Entry;
      const { path } = entry;
      if (url.startsWith(path) && (url.length === path.length || url.charCodeAt(path.length) === 63)) return entry;
    }
    return undefined;
  }

  /** Answers `request` if it is the lane's (true); false hands it, untouched, to Fastify. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const { lab } = this;
    if (!lab.options.fastPollLane || lab.closing || request.method !== 'GET') return false;
    const url = request.url ?? '';
    const entry = this.entryOf(url);
    if (entry === undefined) return false;
    const headers = request.headers;
    if (headers.origin !== undefined || headers['content-length'] !== undefined) return false;
    if (headers['transfer-encoding'] !== undefined) return false;
    if (this.hostRefusal(request) !== undefined) return false;
    // The query starts after the path's '?' (past the end when there is none: an empty query).
    const query = entry.query(url, entry.path.length + 1);
    if (query === null) return false;
    const client = query.client;
    let who = entry.who;
    if (client !== who.client && (client !== undefined || who.client !== null)) {
      who = { bucket: entry.lane.transport, client: isClientId(client) ? client : null, held: null };
      entry.who = who;
    }
    // The address only when there is no client id to count by (reading it costs a getter call).
    const key = who.client ?? bucketKey(null, request.socket.remoteAddress as string);
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
    entry.lane.answer(prepared, who, response);
    return true;
  }
}
