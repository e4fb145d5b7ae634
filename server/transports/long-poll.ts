/**
 * Long polling: `GET /api/long-poll` answers as soon as one message is newer than the cursor, or
 * after `timeout` ms with no messages. A held poll is an open stream: it counts toward the
 * connection bound, frees its waiter the moment the client goes away, and on shutdown is
 * answered 200 with nothing, so the client simply polls again.
 */
import { Type } from '@sinclair/typebox';
import { LONG_POLL_TIMEOUT, POLL_LIMIT, ROUTES } from '../../contract/index.js';
import { FutureCursorError, TooManyConnectionsError } from '../errors.js';
import type { Resolution } from '../feed/feed.js';
import { resolveCursor } from '../feed/resolve.js';
import { boundedInt, cursorOf, FEED_FIELDS, querySchema } from '../query.js';
import { isGone } from './gone.js';
import { LongPollWaiters } from './long-poll-waiters.js';
import { countAnswer, pollAnswer } from './poll-answer.js';
import { defineTransport } from './transport.js';

// A bad `timeout` has its own code, LAB_BAD_TIMEOUT; a bad `limit` is LAB_BAD_QUERY (docs/contract.md).
const LONG_POLL_QUERY = querySchema(
  Type.Object({ ...FEED_FIELDS, timeout: boundedInt(LONG_POLL_TIMEOUT, 'timeout'), limit: boundedInt(POLL_LIMIT) }),
);

export default defineTransport('long-poll', async (app, { lab }) => {
  const { feed, accounting } = lab;
  const waiters = new LongPollWaiters(feed);

  app.get(ROUTES['long-poll'], { config: { transport: 'long-poll' }, ...LONG_POLL_QUERY }, (request, reply) => {
    const { timeout, limit } = request.query;
    const cursor = cursorOf(request.query);
    const who = accounting.who(request);
    reply.type('application/json; charset=utf-8').header('cache-control', 'no-store');

    const resolved = resolveCursor(lab, cursor, limit);
    return resolved instanceof Promise ? resolved.then(answer) : answer(resolved);

    function answer(resolution: Resolution) {
      if (resolution.kind === 'future') throw new FutureCursorError(cursor?.seq ?? 0, resolution.head);
      if (resolution.entries.length > 0 || resolution.reset !== null || timeout === 0) {
        return reply.send(pollAnswer(accounting, who, feed.epoch, feed.head, resolution.entries, resolution.reset));
      }
      if (lab.closing || accounting.openStreams >= lab.options.maxStreams)
        throw new TooManyConnectionsError(lab.options.maxStreams);

      // Nothing newer yet: hold the request. "Live only" waits for the next message after now.
      const since = cursor?.seq ?? feed.head;
      let settled = false;
      const finish = (body: string | null) => {
        if (settled) return;
        settled = true;
        unsubscribe();
        clearTimeout(timer);
        release();
        if (body !== null) reply.send(body);
      };
      const unsubscribe = waiters.add({
        since,
        limit,
        wake: (entries, body, reset) => {
          if (settled) return;
          countAnswer(accounting, who, entries, reset);
          finish(body);
        },
      });
      const timer = setTimeout(() => finish(pollAnswer(accounting, who, feed.epoch, feed.head, [], null)), timeout);
      const release = accounting.openStream({
        who,
        close: () => {
          // HTTP/2 has no Connection header (RFC 9113 §8.2.2); its streams end with the answer.
          if (request.raw.httpVersionMajor < 2) reply.header('connection', 'close');
          finish(pollAnswer(accounting, who, feed.epoch, feed.head, [], null));
        },
      });
      // The client went away (or was cut): free the waiter now, not at the timeout. A response
      // closes either after it was answered (nothing to do) or because its connection died.
      reply.raw.once('close', () => finish(null));
      if (isGone(reply.raw)) finish(null);
      return reply;
    }
  });
});
