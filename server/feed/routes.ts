/** Feed control: publish, read and change the ticker, and the server clock for offset estimation. */
import type { FastifyInstance } from 'fastify';
import type { FeedState } from '../../contract/index.js';
import { requireInstructor } from '../classroom/guard.js';
import type { Lab } from '../lab.js';
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
  };
}

export async function feedRoutes(app: FastifyInstance, lab: Lab): Promise<void> {
  // Changing the shared feed: same origin, and in a classroom the instructor only.
  const mayChangeFeed = async (request: Parameters<typeof checkOrigin>[0]) => {
    checkOrigin(request, lab.options.allowedOrigins);
    requireInstructor(request, lab, 'change the shared feed');
  };

  app.post(
    '/api/publish',
    {
      preHandler: mayChangeFeed,
      schema: { body: { type: 'object', required: ['data'], properties: { data: {} } } },
    },
    async (request, reply) => {
      const entry = lab.feed.publish((request.body as { data: unknown }).data);
      reply.code(201);
      return { epoch: lab.feed.epoch, seq: entry.seq };
    },
  );

  app.get('/api/feed', async () => feedState(lab));

  app.put('/api/feed', { preHandler: mayChangeFeed }, async (request, reply) => {
    try {
      lab.ticker.update(validateSettings(request.body));
    } catch (error) {
      reply.code(400);
      return {
        statusCode: 400,
        code: 'LAB_BAD_FEED_SETTINGS',
        error: 'Bad Request',
        message: (error as Error).message,
      };
    }
    return feedState(lab);
  });

  app.get('/api/time', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { now: nowMs() };
  });
}
