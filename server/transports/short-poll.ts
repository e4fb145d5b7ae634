/** Short polling: `GET /api/poll` answers at once with whatever is newer than the cursor (maybe nothing). */
import { Type } from '@sinclair/typebox';
import { POLL_LIMIT, ROUTES } from '../../contract/index.js';
import { FutureCursorError } from '../errors.js';
import type { Resolution } from '../feed/feed.js';
import { resolveCursor } from '../feed/resolve.js';
import { boundedInt, cursorOf, FEED_FIELDS, querySchema } from '../query.js';
import { pollAnswer } from './poll-answer.js';
import { defineTransport } from './transport.js';

const POLL_QUERY = querySchema(Type.Object({ ...FEED_FIELDS, limit: boundedInt(POLL_LIMIT) }));

export default defineTransport('short-poll', async (app, { lab }) => {
  // Not an async handler: in memory the cursor resolves in this turn, and a promise per poll (plus
  // Fastify's wait for it) is measurable on a short poll (`npm run bench`). Behind a broker it may wait.
  app.get(ROUTES['short-poll'], { config: { transport: 'short-poll' }, ...POLL_QUERY }, (request, reply) => {
    const cursor = cursorOf(request.query);
    const resolved = resolveCursor(lab, cursor, request.query.limit);
    return resolved instanceof Promise ? resolved.then(answer) : answer(resolved);

    function answer(resolution: Resolution) {
      if (resolution.kind === 'future') throw new FutureCursorError(cursor?.seq ?? 0, resolution.head);
      reply.type('application/json; charset=utf-8').header('cache-control', 'no-store');
      return reply.send(
        pollAnswer(
          lab.accounting,
          lab.accounting.who(request),
          lab.feed.epoch,
          lab.feed.head,
          resolution.entries,
          resolution.reset,
        ),
      );
    }
  });
});
