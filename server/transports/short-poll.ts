/** Short polling: `GET /api/poll` answers at once with whatever is newer than the cursor (maybe nothing). */
import { POLL_LIMIT, ROUTES } from '../../contract/index.js';
import { BadQueryError, FutureCursorError } from '../errors.js';
import { resolveCursor } from '../feed/resolve.js';
import { FEED_QUERY, parseBoundedInt, parseClient, parseCursor, type RawQuery } from '../query.js';
import { pollAnswer } from './poll-answer.js';
import { defineTransport } from './transport.js';

export default defineTransport('short-poll', async (app, { lab }) => {
  app.get(ROUTES['short-poll'], { config: { transport: 'short-poll' }, ...FEED_QUERY }, async (request, reply) => {
    const query = request.query as RawQuery;
    parseClient(query);
    const cursor = parseCursor(query);
    const limit = parseBoundedInt(query, 'limit', POLL_LIMIT, (message) => new BadQueryError(message));
    const resolved = resolveCursor(lab, cursor, limit);
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
