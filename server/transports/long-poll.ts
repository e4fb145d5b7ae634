/**
 * Long polling: `GET /api/long-poll` answers as soon as one message is newer than the cursor, or
 * after `timeout` ms with no messages. A held poll is an open stream: it counts toward the
 * connection bound, frees its waiter the moment the client goes away, and on shutdown is
 * answered 200 with nothing, so the client simply polls again.
 */
import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { ResetNotice } from '../../contract/index.js';
import { LONG_POLL_TIMEOUT, POLL_LIMIT, ROUTES } from '../../contract/index.js';
import type { Attribution, OpenStream } from '../accounting/accounting.js';
import { FutureCursorError, TooManyConnectionsError } from '../errors.js';
import type { FeedEntry, Resolution } from '../feed/feed.js';
import { resolveCursor } from '../feed/resolve.js';
import { boundedInt, cursorOf, FEED_FIELDS, querySchema } from '../query.js';
import { isGone } from './gone.js';
import { LongPollWaiters, type Waiter } from './long-poll-waiters.js';
import { countAnswer, pollAnswer } from './poll-answer.js';
import { defineTransport } from './transport.js';

/** The response's held poll, for the one 'close' listener all held polls share. */
const HELD = Symbol('held long poll');
type HeldResponse = ServerResponse & { [HELD]?: { finish(body: null): void } };

// A bad `timeout` has its own code, LAB_BAD_TIMEOUT; a bad `limit` is LAB_BAD_QUERY (docs/contract.md).
const LONG_POLL_QUERY = querySchema(
  Type.Object({ ...FEED_FIELDS, timeout: boundedInt(LONG_POLL_TIMEOUT, 'timeout'), limit: boundedInt(POLL_LIMIT) }),
);

export default defineTransport('long-poll', async (app, { lab }) => {
  const { feed, accounting } = lab;
  const waiters = new LongPollWaiters(feed);

  /**
   * One held poll, as one object: it is the waiter a publish wakes, the open stream the accounting
   * counts (and shutdown closes), and what its timer and its response's 'close' find. A poll held
   * per request then costs this object, one timer and one listener — no closure per poll (the
   * long-poll row of `npm run bench` measures every held poll's cost).
   */
  class HeldPoll implements Waiter, OpenStream {
    heldIn: Set<Waiter> | null = null;
    private settled = false;
    private timer: NodeJS.Timeout | undefined;

    constructor(
      readonly since: number,
      readonly limit: number,
      readonly who: Attribution,
      private readonly reply: FastifyReply,
      private readonly timeout: number,
    ) {}

    hold(): void {
      waiters.add(this);
      this.timer = setTimeout(answerEmpty, this.timeout, this);
      accounting.holdStream(this);
      // The client went away (or was cut): free the waiter now, not at the timeout. A response
      // closes either after it was answered (nothing to do) or because its connection died.
      const res = this.reply.raw as HeldResponse;
      res[HELD] = this;
      res.on('close', responseClosed);
      if (isGone(res)) this.finish(null);
    }

    /** A publish (or, behind a broker, a feed reset) answers it. */
    wake(entries: readonly FeedEntry[], body: string, reset: ResetNotice | null): void {
      if (this.settled) return;
      countAnswer(accounting, this.who, entries, reset);
      this.finish(body);
    }

    /** Shutdown: answered 200 with nothing, so the client simply polls again. */
    close(): void {
      // HTTP/2 has no Connection header (RFC 9113 §8.2.2); its streams end with the answer.
      if (this.reply.request.raw.httpVersionMajor < 2) this.reply.header('connection', 'close');
      this.answerEmpty();
    }

    answerEmpty(): void {
      this.finish(pollAnswer(accounting, this.who, feed.epoch, feed.head, [], null));
    }

    finish(body: string | null): void {
      if (this.settled) return;
      this.settled = true;
      waiters.remove(this);
      clearTimeout(this.timer);
      accounting.closeStream(this);
      (this.reply.raw as HeldResponse)[HELD] = undefined;
      if (body !== null) this.reply.send(body);
    }
  }

  function answerEmpty(poll: HeldPoll): void {
    poll.answerEmpty();
  }

  function responseClosed(this: HeldResponse): void {
    this[HELD]?.finish(null);
  }

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
      new HeldPoll(cursor?.seq ?? feed.head, limit, who, reply, timeout).hold();
      return reply;
    }
  });
});
