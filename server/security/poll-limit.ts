/**
 * A polling flood from one client gets 429 with Retry-After; everyone else is served as before.
 * One token bucket per client (its `client` id, else its address): `pollRequestsPerSecond`
 * tokens a second, bursts of twice that. Buckets idle for a minute are forgotten, and there are
 * at most MAX_BUCKETS of them (the least recently used go first, to within a second), so the
 * limiter's own memory is bounded.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyReply } from 'fastify';
import { TooManyRequestsError } from '../errors.js';
import type { Lab } from '../lab.js';
import type { RequestStep } from '../request-steps.js';
import { routeConfig } from '../route-config.js';

// `performance` imported, not the global: in Node 20 the global is a getter, called on every use
// (about 0.1 µs each, and a poll reads the clock twice). The same object, so a test's spy on
// `performance.now` still stands in for it.

export const MAX_BUCKETS = 10_000;
const IDLE_MS = 60_000;
/**
 * A bucket moves to the young end of the LRU order at most this often: moving it on every poll
 * (a Map delete and set) was a measurable share of a short poll (`npm run bench`), and eviction
 * only needs the order to within this much.
 */
const REORDER_MS = 1_000;

interface Bucket {
  tokens: number;
  last: number;
  /** When the bucket last moved to the young end of the order. */
  moved: number;
}

/**
 * The bucket a request is counted in: its client id (already checked against the contract's
 * pattern, server/accounting/attribution.ts), else its address. Client ids never contain ':'.
 */
export function bucketKey(client: string | null, address: string): string {
  return client ?? `a:${address}`;
}

export class PollLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly perSecond: number) {}

  /** Throws 429, with Retry-After set on `reply`, when the client of bucket `key` is over its budget. */
  check(key: string, reply: FastifyReply): void {
    const retryAfter = this.take(key);
    if (retryAfter === 0) return;
    reply.header('retry-after', String(retryAfter));
    throw new TooManyRequestsError(this.perSecond);
  }

  /** Takes a token of bucket `key`: 0 when there was one, else the Retry-After (s) of the 429 it gets. */
  take(key: string): number {
    if (this.perSecond === 0) return 0;
    const now = performance.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined || now - bucket.last > IDLE_MS) {
      if (bucket !== undefined) this.buckets.delete(key);
      else if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = { tokens: this.perSecond * 2, last: now, moved: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = this.tokensAt(bucket, now);
      bucket.last = now;
      if (now - bucket.moved > REORDER_MS) {
        // Re-inserted: the map stays in least-recently-used order (to within REORDER_MS).
        this.buckets.delete(key);
        this.buckets.set(key, bucket);
        bucket.moved = now;
      }
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  /**
   * Whether `check` would let a poll of bucket `key` through now, changing nothing: the fast lane
   * (server/fast-lane.ts) takes a poll only when it would, so a refusal is always Fastify's. Tokens
   * only grow with time, so a `check` made after a true answer lets the poll through too.
   */
  allows(key: string): boolean {
    if (this.perSecond === 0) return true;
    const now = performance.now();
    const bucket = this.buckets.get(key);
    if (bucket === undefined || now - bucket.last > IDLE_MS) return true;
    return this.tokensAt(bucket, now) >= 1;
  }

  /** The bucket's tokens at `now`: refilled at perSecond since its last poll, up to two seconds' worth. */
  private tokensAt(bucket: Bucket, now: number): number {
    return Math.min(this.perSecond * 2, bucket.tokens + ((now - bucket.last) / 1000) * this.perSecond);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/**
 * The limiter on the two polling routes (the streams have the connection bound and the frame
 * budget), as a step of the one per-request hook (server/request-steps.ts), after the accounting's.
 */
export function pollLimit(lab: Lab, limiter: PollLimiter): RequestStep {
  return (request, reply) => {
    const transport = routeConfig(request).transport;
    if (transport !== 'short-poll' && transport !== 'long-poll') return undefined;
    try {
      // After the accounting step (server/app.ts): the attribution is already worked out.
      limiter.check(bucketKey(lab.accounting.who(request).client, request.ip), reply);
    } catch (error) {
      return error as Error;
    }
    return undefined;
  };
}
