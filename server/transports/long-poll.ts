/**
 * Long polling: `GET /api/long-poll` answers as soon as one message is newer than the cursor, or
 * after `timeout` ms with no messages. A held poll is an open stream: it counts toward the
 * connection bound, frees its waiter the moment the client goes away, and on shutdown is
 * answered 200 with nothing, so the client simply polls again.
 */
import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Cursor, ResetNotice } from '../../contract/index.js';
import { LONG_POLL_TIMEOUT, POLL_LIMIT, ROUTES } from '../../contract/index.js';
import type { Attribution } from '../accounting/accounting.js';
import { FutureCursorError, TooManyConnectionsError } from '../errors.js';
import type { FeedEntry, Resolution } from '../feed/feed.js';
import { resolveCursor } from '../feed/resolve.js';
import { boundedInt, cursorOf, FEED_FIELDS, type FeedQuery, laneCursorOf, querySchema } from '../query.js';
import { isGone } from './gone.js';
import { type Expiring, HoldDeadlines } from './hold-deadlines.js';
import { type StreamSlot, StreamSlots } from './long-poll-slots.js';
import { LongPollWaiters, type Waiter } from './long-poll-waiters.js';
import { countAnswer, laneHead, laneSend, POLL_CONTENT_TYPE, pollAnswer } from './poll-answer.js';
import { defineTransport } from './transport.js';

/** The response's held poll, for the one 'close' listener all held polls share. */
const HELD = Symbol('held long poll');
type HeldResponse = ServerResponse & { [HELD]?: { finish(body: null): void } };

// A bad `timeout` has its own code, LAB_BAD_TIMEOUT; a bad `limit` is LAB_BAD_QUERY (docs/contract.md).
export const LONG_POLL_SCHEMA = Type.Object({
  ...FEED_FIELDS,
  timeout: boundedInt(LONG_POLL_TIMEOUT, 'timeout'),
  limit: boundedInt(POLL_LIMIT),
});
const LONG_POLL_QUERY = querySchema(LONG_POLL_SCHEMA);

/** The fast lane's heads of a long-poll answer (poll-answer.ts); on shutdown with the `connection: close` of `close()`. */
const LANE_ANSWER = laneHead();
const LANE_LAST_ANSWER = laneHead('connection', 'close');

/** Whether a poll is answered now: something to send, or no wait asked for; otherwise it is held. */
function answersNow(resolution: Extract<Resolution, { kind: 'ok' }>, timeout: number): boolean {
  return resolution.entries.length > 0 || resolution.reset !== null || timeout === 0;
}

/** What the lane's `prepare` found, for its `answer` right after (fast-lane.ts calls both in one turn). */
interface LanePoll {
  resolution: Extract<Resolution, { kind: 'ok' }>;
  since: number;
  limit: number;
  timeout: number;
}

export default defineTransport('long-poll', async (app, { lab, fastLane }) => {
  const { feed, accounting } = lab;
  const waiters = new LongPollWaiters(feed);
  const deadlines = new HoldDeadlines();
  const slots = new StreamSlots(accounting);

  /**
   * One held poll, as one object: it is the waiter a publish wakes, the entry of its timeout's
   * deadline queue, and what its response's 'close' finds; the accounting counts it (and shutdown
   * closes it) through a reused slot (long-poll-slots.ts says why not through this object). A poll
   * held per request then costs this object and one listener — no closure and no timer of its own
   * (the long-poll rows of `npm run bench` measure every held poll's cost).
   */
  class HeldPoll implements Waiter, Expiring {
    heldIn: Set<Waiter> | null = null;
    deadline = 0;
    dueIn: Expiring['dueIn'] = null;
    dueBefore: Expiring | null = null;
    dueAfter: Expiring | null = null;
    private settled = false;
    /** Its entry in the accounting's open streams while held. */
    private slot: StreamSlot | null = null;

    constructor(
      readonly since: number,
      readonly limit: number,
      readonly who: Attribution,
      /** Fastify's reply, or null when the fast lane holds the poll (then it answers on `res` itself). */
      private readonly reply: FastifyReply | null,
      private readonly res: ServerResponse,
      private readonly timeout: number,
    ) {}

    /** The fast lane's poll: answered with `connection: close` on shutdown, as Fastify's reply is. */
    private lastAnswer = false;

    hold(): void {
      waiters.add(this);
      deadlines.add(this, this.timeout);
      this.slot = slots.open(this.who, this);
      // The client went away (or was cut): free the waiter now, not at the timeout. A response
      // closes either after it was answered (nothing to do) or because its connection died.
      const res = this.res as HeldResponse;
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
      // HTTP/2 has no Connection header (RFC 9113 §8.2.2); its streams end with the answer. The
      // fast lane serves HTTP/1.1 only.
      if (this.reply === null) this.lastAnswer = true;
      else if (this.reply.request.raw.httpVersionMajor < 2) this.reply.header('connection', 'close');
      this.answerEmpty();
    }

    /** Its timeout passed with nothing new: answered 200 with no messages. */
    expire(): void {
      this.answerEmpty();
    }

    answerEmpty(): void {
      this.finish(pollAnswer(accounting, this.who, feed.epoch, feed.head, [], null));
    }

    finish(body: string | null): void {
      if (this.settled) return;
      this.settled = true;
      waiters.remove(this);
      deadlines.remove(this);
      if (this.slot !== null) slots.close(this.slot);
      this.slot = null;
      (this.res as HeldResponse)[HELD] = undefined;
      if (body === null) return;
      if (this.reply !== null) this.reply.send(body);
      else laneSend(this.res, this.lastAnswer ? LANE_LAST_ANSWER : LANE_ANSWER, body);
    }
  }

  function responseClosed(this: HeldResponse): void {
    this[HELD]?.finish(null);
  }

  /** Answer now, or hold the poll. Throws a future cursor and a full server (their status codes). */
  function answer(
    reply: FastifyReply,
    who: Attribution,
    cursor: Cursor<string | null> | null,
    timeout: number,
    limit: number,
    resolution: Resolution,
  ): void {
    if (resolution.kind === 'future') throw new FutureCursorError(cursor?.seq ?? 0, resolution.head);
    if (answersNow(resolution, timeout)) {
      reply.send(pollAnswer(accounting, who, feed.epoch, feed.head, resolution.entries, resolution.reset));
      return;
    }
    if (lab.closing || accounting.openStreams >= lab.options.maxStreams)
      throw new TooManyConnectionsError(lab.options.maxStreams);

    // Nothing newer yet: hold the request. "Live only" waits for the next message after now.
    new HeldPoll(cursor?.seq ?? feed.head, limit, who, reply, reply.raw, timeout).hold();
  }

  app.get(ROUTES['long-poll'], { config: { transport: 'long-poll' }, ...LONG_POLL_QUERY }, (request, reply) => {
    const { timeout, limit } = request.query;
    const cursor = cursorOf(request.query);
    const who = accounting.who(request);
    reply.type(POLL_CONTENT_TYPE).header('cache-control', 'no-store');

    const resolved = resolveCursor(lab, cursor, limit);
    if (resolved instanceof Promise) {
      // Behind a broker the cursor may wait: Fastify then waits on the reply this resolves to.
      return resolved.then((resolution) => {
        answer(reply, who, cursor, timeout, limit, resolution);
        return reply;
      });
    }
    // In memory it resolves in this turn. Nothing is returned: a returned reply is a thenable, and
    // Fastify would wait on it with end-of-stream listeners per poll (reply.js, Reply.then) — for a
    // held poll, listeners on a response that its own 'close' listener already watches.
    answer(reply, who, cursor, timeout, limit, resolved);
    return undefined;
  });

  // The same answer, or the same held poll, before Fastify's router, for a poll the lane can prove
  // Fastify would answer 200 or hold (server/fast-lane.ts): a long poll is a request per delivery.
  let pending: LanePoll | null = null;
  fastLane?.add<LanePoll>(ROUTES['long-poll'], {
    transport: 'long-poll',
    schema: LONG_POLL_SCHEMA,
    prepare(query) {
      const cursor = laneCursorOf(query as FeedQuery);
      if (cursor === undefined) return null;
      const limit = query.limit as number;
      const timeout = query.timeout as number;
      const resolved = resolveCursor(lab, cursor, limit);
      if (resolved instanceof Promise || resolved.kind === 'future') return null;
      const now = answersNow(resolved, timeout);
      // A poll to hold past the connection bound is Fastify's 503.
      if (!now && accounting.openStreams >= lab.options.maxStreams) return null;
      pending ??= { resolution: resolved, since: 0, limit: 0, timeout: 0 };
      pending.resolution = resolved;
      pending.since = cursor?.seq ?? feed.head;
      pending.limit = limit;
      pending.timeout = timeout;
      return pending;
    },
    answer(poll, who, response) {
      const { resolution, timeout } = poll;
      if (answersNow(resolution, timeout)) {
        const body = pollAnswer(accounting, who, feed.epoch, feed.head, resolution.entries, resolution.reset);
        laneSend(response, LANE_ANSWER, body);
        return;
      }
      new HeldPoll(poll.since, poll.limit, who, null, response, timeout).hold();
    },
  });
});
