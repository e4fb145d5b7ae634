/** Short polling: `GET /api/poll` answers at once with whatever is newer than the cursor (maybe nothing). */
import { Type } from '@sinclair/typebox';
import { POLL_LIMIT, ROUTES } from '../../contract/index.js';
import { FutureCursorError } from '../errors.js';
import { resolveCursor } from '../feed/resolve.js';
import { boundedInt, cursorOf, FEED_FIELDS, querySchema } from '../query.js';
import { pollAnswer } from './poll-answer.js';
import { defineTransport } from './transport.js';

const POLL_QUERY = querySchema(Type.Object({ ...FEED_FIELDS, limit: boundedInt(POLL_LIMIT) }));

export default defineTransport('short-poll', async (app, { lab }) => {
  app.get(ROUTES['short-poll'], { config: { transport: 'short-poll' }, ...POLL_QUERY }, async (request, reply) => {
    const cursor = cursorOf(request.query);
    const resolved = resolveCursor(lab, cursor, request.query.limit);
    const resolution = resolved instanceof Promise ? await resolved : resolved;
    if (resolution.kind === 'future') throw new FutureCursorError(cursor?.seq ?? 0, resolution.head);
    reply.type('application/json; charset=utf-8').header('cache-control', 'no-store');
    return pollAnswer(
      lab.accounting,
      lab.accounting.who(request),
      lab.feed.epoch,
      lab.feed.head,
      resolution.entries,
      resolution.reset,
    );
  });
});
