/**
 * The poll limiter's own bookkeeping (server/security/poll-limit.ts), counted on the class: its
 * memory stays bounded, and eviction takes the least recently used bucket (to within a second).
 * The 429 with Retry-After a flooding client gets over HTTP is tested in test/bad-input-ws.test.ts.
 */
import type { FastifyReply } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bucketKey, MAX_BUCKETS, PollLimiter } from '../../server/security/poll-limit.js';

function fakeReply(): FastifyReply & { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  return {
    headers,
    header(name: string, value: string) {
      headers[name] = value;
      return this;
    },
  } as unknown as FastifyReply & { headers: Record<string, string> };
}

let now = 0;
const clockAt = (ms: number) => {
  now = ms;
};
afterEach(() => {
  vi.restoreAllMocks();
});

describe('poll limiter', () => {
  it('a client id and an address never share a bucket', () => {
    expect(bucketKey('alice', '127.0.0.1')).toBe('alice');
    expect(bucketKey(null, '127.0.0.1')).toBe('a:127.0.0.1');
    // A client id may look like an address; the address key has a ':' no client id can have.
    expect(bucketKey('127.0.0.1', '127.0.0.1')).not.toBe(bucketKey(null, '127.0.0.1'));
  });

  it('keeps at most MAX_BUCKETS buckets and evicts the least recently used one', () => {
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const limiter = new PollLimiter(10);
    const reply = fakeReply();
    clockAt(0);
    limiter.check('first', reply);
    limiter.check('second', reply);
    clockAt(2_000); // more than a second later, 'first' is used again: it moves to the young end
    limiter.check('first', reply);
    // One bucket more than fits: the oldest goes.
    for (let i = 0; i < MAX_BUCKETS - 1; i++) limiter.check(`c${i}`, reply);
    expect(limiter.size).toBe(MAX_BUCKETS);
    // 'first' was kept (its burst is partly spent), 'second' was evicted (it starts a fresh burst).
    const served = (key: string) => {
      let n = 0;
      for (let i = 0; i < 20; i++) {
        try {
          limiter.check(key, reply);
          n += 1;
        } catch {}
      }
      return n;
    };
    expect(served('first')).toBe(19); // a burst of 20, one spent at 2 s (the refill had made it whole again)
    expect(served('second')).toBe(20);
    expect(reply.headers['retry-after']).toBe('1');
    expect(limiter.size).toBe(MAX_BUCKETS);
  });
});
