/**
 * A polling flood from one client gets 429 with Retry-After; everyone else is served as before.
 * One token bucket per client (its `client` id, else its address): `pollRequestsPerSecond`
 * tokens a second, bursts of twice that. Buckets idle for a minute are forgotten, and there are
 * at most MAX_BUCKETS of them (the oldest go first), so the limiter's own memory is bounded.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CLIENT_PATTERN } from '../../contract/index.js';
import { TooManyRequestsError } from '../errors.js';
import type { Lab } from '../lab.js';
import { routeConfig } from '../route-config.js';

const MAX_BUCKETS = 10_000;
const IDLE_MS = 60_000;
const CLIENT = new RegExp(CLIENT_PATTERN);

interface Bucket {
  tokens: number;
  last: number;
}

export class PollLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly perSecond: number) {}

  /** Throws 429, with Retry-After set on `reply`, when `request`'s client is over its budget. */
  check(request: FastifyRequest, reply: FastifyReply): void {
    if (this.perSecond === 0) return;
    const client = (request.query as Record<string, unknown> | undefined)?.client;
    const key = typeof client === 'string' && CLIENT.test(client) ? `c:${client}` : `a:${request.ip}`;
    const now = performance.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined || now - bucket.last > IDLE_MS) {
      bucket = { tokens: this.perSecond * 2, last: now };
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
    } else {
      bucket.tokens = Math.min(this.perSecond * 2, bucket.tokens + ((now - bucket.last) / 1000) * this.perSecond);
      bucket.last = now;
      this.buckets.delete(key); // re-inserted below: the map stays in least-recently-used order
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    reply.header('retry-after', String(Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond))));
    throw new TooManyRequestsError(this.perSecond);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** The limiter on the two polling routes (the streams have the connection bound and the frame budget). */
export async function pollLimit(app: FastifyInstance, lab: Lab): Promise<void> {
  const limiter = new PollLimiter(lab.options.pollRequestsPerSecond);
  // A callback hook, not an async one: it runs on every request (a promise each is measurable, `npm run bench`).
  app.addHook('onRequest', (request, reply, done) => {
    const transport = routeConfig(request).transport;
    if (transport !== 'short-poll' && transport !== 'long-poll') return done();
    try {
      limiter.check(request, reply);
    } catch (error) {
      return done(error as Error);
    }
    done();
  });
}
