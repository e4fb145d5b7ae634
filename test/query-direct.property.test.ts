/**
 * The query check's direct way (server/query.ts: a well-formed query accepted without TypeBox) is
 * exactly the full way: for random queries — valid, malformed, repeated keys, extra keys, numbers
 * out of bounds — both give the same value or the same error (class, status, code, message), on
 * every schema the routes use. A query-string parser gives strings, arrays of strings (a repeated
 * key) and nothing else; the generators below give those and a few values no parser gives.
 */
import { type TObject, Type } from '@sinclair/typebox';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedInt, ClientQuerySchema, compileQuery, FEED_FIELDS, FeedQuerySchema } from '../server/query.js';
import { LONG_POLL_SCHEMA } from '../server/transports/long-poll.js';
import { POLL_SCHEMA } from '../server/transports/short-poll.js';

const SCHEMAS: Record<string, TObject> = {
  // The routes' own schemas.
  poll: POLL_SCHEMA,
  'long poll': LONG_POLL_SCHEMA,
  feed: FeedQuerySchema,
  client: ClientQuerySchema,
  'stats stream': Type.Object({
    client: FEED_FIELDS.client,
    clients: Type.Optional(Type.String({ maxLength: 8 })),
    interval: boundedInt({ min: 100, max: 10_000, default: 500 }),
  }),
};

/** Strings near every edge: valid values, lengths at the bounds, signs, exponents, spaces. */
const edgy = fc.constantFrom(
  '',
  '0',
  '1',
  '41',
  '999999999',
  '1000000000',
  '10000',
  '10001',
  '60000',
  '60001',
  '99',
  '100',
  '-1',
  '1e3',
  '0x10',
  ' 1',
  '1.0',
  'k3j4h5g6',
  'K3J4',
  '0123456789abcdefg',
  '0123456789abcdef',
  'bench-poll',
  'a'.repeat(64),
  'a'.repeat(65),
  'a b',
  '123456789012345',
  '1234567890123456',
  'websocket',
);
const value = fc.oneof(
  { weight: 6, arbitrary: edgy },
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.array(edgy, { minLength: 2, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 5, 1.5, true) },
);
const key = fc.constantFrom('client', 'epoch', 'since', 'limit', 'timeout', 'interval', 'clients', 'extra', 'sid');
const query = fc.dictionary(key, value, { maxKeys: 6 });

/** What a check answered, in a form `toEqual` compares fully (an Error's class, status, code, message). */
function outcome(result: { value: Record<string, unknown> } | { error: Error }) {
  if ('value' in result) return { value: result.value };
  const { error } = result as { error: Error & { statusCode?: number; code?: string } };
  return { error: [error.constructor.name, error.statusCode, error.code, error.message] };
}

describe('the direct query check', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`is the full check, for the ${name} query`, () => {
      const direct = compileQuery(schema);
      const full = compileQuery(schema, false);
      let accepted = 0;
      fc.assert(
        fc.property(query, (q) => {
          const a = outcome(direct(q));
          expect(a).toEqual(outcome(full(q)));
          if ('value' in a) accepted++;
        }),
        { numRuns: 2_000, seed: 10 },
      );
      // Both ways were exercised: some queries were accepted, some refused.
      expect(accepted).toBeGreaterThan(50);
      expect(accepted).toBeLessThan(2_000);
    });
  }

  it('takes the direct way for a well-formed poll (the value is a new object, defaults filled in)', () => {
    const input = Object.assign(Object.create(null), { since: '41', epoch: 'k3j4h5g6', client: 'bench-poll' });
    const result = compileQuery(SCHEMAS.poll as TObject)(input);
    expect(result).toEqual({ value: { since: '41', epoch: 'k3j4h5g6', client: 'bench-poll', limit: 1000 } });
  });
});
