/** Feed control: publish, read and change the ticker, and the server clock for offset estimation. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FeedState } from '../../contract/index.js';
import { requireInstructor } from '../classroom/guard.js';
import { BadFeedSettingsError } from '../errors.js';
import type { Lab, LabPluginOptions } from '../lab.js';
import { checkOrigin } from '../origin.js';
import { nowMs } from './feed.js';
import { validateSettings } from './ticker.js';

export function feedState(lab: Lab): FeedState {
  return {
    epoch: lab.feed.epoch,
    head: lab.feed.head,
    oldest: lab.feed.oldest,
    retention: lab.feed.retention,
    ...lab.ticker.settings,
    backend: { ...lab.backend.status(), instance: lab.instance },
  };
}

/** A publish: any JSON value as `data` (Fastify's validation answers 400 without it). */
const PublishBody = Type.Object({ data: Type.Unknown() });

export const feedPlugin: FastifyPluginAsyncTypebox<LabPluginOptions> = async (app, { lab }) => {
  // Changing the shared feed: same origin, and in a classroom the instructor only.
  const mayChangeFeed = async (request: Parameters<typeof checkOrigin>[0]) => {
    checkOrigin(request, lab.options.allowedOrigins);
    requireInstructor(request, lab, 'change the shared feed');
  };

  app.post(
    '/api/publish',
    {
      preHandler: mayChangeFeed,
      schema: { body: PublishBody },
    },
    async (request, reply) => {
      // Memory answers at once; a broker once the message is in its stream (or 503 LAB_FEED_UNAVAILABLE).
      const published = lab.backend.publish(request.body.data);
      const result = published instanceof Promise ? await published : published;
      reply.code(201);
      return result;
    },
  );

  app.get('/api/feed', async () => feedState(lab));

  app.put('/api/feed', { preHandler: mayChangeFeed }, async (request) => {
    let settings: ReturnType<typeof validateSettings>;
    try {
      settings = validateSettings(request.body);
    } catch (error) {
      throw new BadFeedSettingsError((error as Error).message);
    }
    // Behind a broker every instance's ticker takes the change (one feed); it may be refused with a 503.
    await lab.backend.updateTicker(settings);
    return feedState(lab);
  });

  app.get('/api/time', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { now: nowMs() };
  });
};
