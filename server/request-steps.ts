/**
 * The lab's per-request checks and bookkeeping as ONE onRequest hook. Each piece (the instance
 * header, the security headers, the accounting, the Host guard, the poll limit, CORS for the network
 * listeners) is a step: a plain function of the request and reply that returns the error to answer
 * with, if any. Fastify runs every onRequest hook through its hook runner (a `next` and two promise
 * callbacks per stage, and one call per hook); six hooks cost a short poll measurably more than one
 * (`npm run bench:poll-machinery`), so the steps run in one hook, in the order they were registered
 * as hooks, and the first error stops the rest as `done(error)` did.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** One piece of the per-request work: the error that refuses the request, or nothing. */
export type RequestStep = (request: FastifyRequest, reply: FastifyReply) => Error | undefined;

/** Adds the one onRequest hook that runs `steps` in order (a callback hook: no promise per request). */
export function addRequestSteps(app: FastifyInstance, steps: readonly RequestStep[]): void {
  const list = [...steps];
  app.addHook('onRequest', (request, reply, done) => {
    for (let i = 0; i < list.length; i++) {
      const error = (list[i] as RequestStep)(request, reply);
      if (error !== undefined) return done(error);
    }
    done();
  });
}
