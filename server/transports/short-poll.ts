/** Short polling: `GET /api/poll` answers at once with whatever is newer than the cursor (maybe nothing). */
import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Cursor, POLL_LIMIT, ROUTES } from '../../contract/index.js';
import { FutureCursorError } from '../errors.js';
import type { Resolution } from '../feed/feed.js';
import { resolveCursor } from '../feed/resolve.js';
import type { Lab } from '../lab.js';
import { boundedInt, cursorOf, FEED_FIELDS, type FeedQuery, laneCursorOf, querySchema } from '../query.js';
import { laneHead, laneSend, POLL_CONTENT_TYPE, pollAnswer } from './poll-answer.js';
import { defineTransport } from './transport.js';

/** The short poll's query (exported for the query property tests). */
export const POLL_SCHEMA = Type.Object({ ...FEED_FIELDS, limit: boundedInt(POLL_LIMIT) });
const POLL_QUERY = querySchema(POLL_SCHEMA);

/** A cursor that resolved now: what the fast lane answers. */
type Answerable = Extract<Resolution, { kind: 'ok' }>;

/** The fast lane's head of a poll answer (poll-answer.ts). */
const LANE_HEAD = laneHead();

/** The answer through Fastify: the poll's messages since its cursor, or the lab's error for a future cursor. */
function answer(
  lab: Lab,
  request: FastifyRequest,
  reply: FastifyReply,
  cursor: Cursor<string | null> | null,
  resolution: Resolution,
) {
  if (resolution.kind === 'future') throw new FutureCursorError(cursor?.seq ?? 0, resolution.head);
  reply.type(POLL_CONTENT_TYPE).header('cache-control', 'no-store');
  const who = lab.accounting.who(request);
  return reply.send(
    pollAnswer(lab.accounting, who, lab.feed.epoch, lab.feed.head, resolution.entries, resolution.reset),
  );
}

export default defineTransport('short-poll', async (app, { lab, fastLane }) => {
  // Not an async handler: in memory the cursor resolves in this turn, and a promise per poll (plus
  // Fastify's wait for it) is measurable on a short poll (`npm run bench`). Behind a broker it may wait.
  app.get(ROUTES['short-poll'], { config: { transport: 'short-poll' }, ...POLL_QUERY }, (request, reply) => {
    const cursor = cursorOf(request.query);
    const resolved = resolveCursor(lab, cursor, request.query.limit);
    // In memory: no function made per poll. Behind a broker the answer waits for the replica.
    if (resolved instanceof Promise)
      return resolved.then((resolution) => answer(lab, request, reply, cursor, resolution));
    return answer(lab, request, reply, cursor, resolved);
  });

  // The same answer before Fastify's router, for a poll the lane can prove answers 200 (server/fast-lane.ts).
  fastLane?.add<Answerable>(ROUTES['short-poll'], {
    transport: 'short-poll',
    schema: POLL_SCHEMA,
    prepare(query) {
      const cursor = laneCursorOf(query as FeedQuery);
      if (cursor === undefined) return null;
      const resolved = resolveCursor(lab, cursor, query.limit as number);
      return resolved instanceof Promise || resolved.kind === 'future' ? null : resolved;
    },
    answer(resolution, who, response: ServerResponse) {
      const { feed } = lab;
      const body = pollAnswer(lab.accounting, who, feed.epoch, feed.head, resolution.entries, resolution.reset);
      laneSend(response, LANE_HEAD, body);
    },
  });
});
