/**
 * The fast lane's query reader (server/query.ts laneQuery) reads a URL's query exactly as Fastify
 * does and then checks it: for random query strings — the routes' own fields with valid, edge and
 * malformed values, repeated and unknown names, empty pairs, '%', '+', '=' inside a value — the
 * reader either declines (null: Fastify then answers) or gives the very value Fastify's query
 * parser (fast-querystring) plus the route's full check (compileQuery without its direct way)
 * gives. And it must accept a good share of them, or the lane would never be taken. Its result
 * is one object filled again per call: a call after a longer query leaves nothing of it behind.
 */
import { createRequire } from 'node:module';
import { type TObject, Type } from '@sinclair/typebox';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIENT_PATTERN, EPOCH_PATTERN, SINCE_PATTERN } from '../contract/index.js';
import { boundedInt, compileQuery, laneQuery, plainOnly } from '../server/query.js';
import { LONG_POLL_SCHEMA } from '../server/transports/long-poll.js';
import { POLL_SCHEMA } from '../server/transports/short-poll.js';

/** Fastify's query parser: its router's (find-my-way), fast-querystring, as the router loads it. */
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const fromRouter = createRequire(fromFastify.resolve('find-my-way'));
const { parse: parseQueryString } = fromRouter('fast-querystring') as { parse: (search: string) => unknown };

const SCHEMAS: Record<string, TObject> = {
  // The routes' own schemas.
  poll: POLL_SCHEMA,
  'long poll': LONG_POLL_SCHEMA,
  // A string field whose pattern does not prove its value plain, and one with no pattern at all.
  loose: Type.Object({
    name: Type.Optional(Type.String({ pattern: '^[a-z%+ ]{1,8}$' })),
    note: Type.Optional(Type.String({ maxLength: 6 })),
    count: boundedInt({ min: 2, max: 50, default: 7 }),
  }),
};

const values = fc.oneof(
  fc.constantFrom('', '0', '1', '007', '41', '1000', '10000', '10001', '60000', '999999999', '1000000000'),
  fc.constantFrom('-1', '1e3', '0x10', ' 1', 'abc', 'bench-poll', 'a.b_c-d', 'A'.repeat(64), 'A'.repeat(65)),
  fc.constantFrom('mi3x0', 'Z9', 'a%20b', 'a+b', 'a=b', '%41', 'x y', 'é', '__proto__', 'abc%', 'ab+'),
  fc.stringMatching(/^[0-9a-z]{1,18}$/),
  fc.string({ maxLength: 10 }),
);

function pairsOf(names: string[]) {
  const name = fc.oneof(fc.constantFrom(...names), fc.constantFrom('', 'x', 'client2', 'constructor', 'since '));
  const pair = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(name, values).map(([n, v]) => `${n}=${v}`) },
    { weight: 1, arbitrary: name },
  );
  return fc
    .tuple(fc.array(pair, { maxLength: 5 }), fc.constantFrom('', '&', '&&'))
    .map(([pairs, tail]) => pairs.join('&') + (pairs.length > 0 ? tail : ''));
}

describe('the fast lane reads a query as Fastify does, or declines it', () => {
  for (const [label, schema] of Object.entries(SCHEMAS)) {
    it(`${label}: same value as fast-querystring plus the full check, or null`, () => {
      const read = laneQuery(schema);
      if (read === null) throw new Error(`laneQuery cannot read the ${label} schema`);
      const full = compileQuery(schema, false);
      const names = Object.keys(schema.properties);
      let accepted = 0;
      let runs = 0;
      fc.assert(
        fc.property(pairsOf(names), fc.constantFrom('/api/x', '/api/x?'), (query, path) => {
          runs++;
          const url = path.endsWith('?') || query === '' ? `${path}${query}` : `${path}?${query}`;
          const lane = read(url, '/api/x'.length + 1);
          const search = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
          const expected = full(search === '' ? {} : parseQueryString(search));
          if (lane === null) return;
          accepted++;
          if (!('value' in expected)) throw new Error(`the lane took ${url}, Fastify refuses it: ${expected.error}`);
          // The lane's object has every field (absent ones undefined); Fastify's only those given.
          const given = Object.fromEntries(Object.entries(lane).filter(([, v]) => v !== undefined));
          expect(given).toEqual(expected.value);
        }),
        { numRuns: 3_000, seed: 20261130 },
      );
      expect(accepted).toBeGreaterThan(runs / 20);
    });
  }

  it('fills its one object again: nothing of a longer query stays for the next', () => {
    const read = laneQuery(SCHEMAS.poll as TObject);
    expect(read?.('/p?since=5&epoch=ab&client=c1&limit=9', 3)).toEqual({
      client: 'c1',
      epoch: 'ab',
      since: '5',
      limit: 9,
    });
    expect(read?.('/p?client=c1', 3)).toEqual({ client: 'c1', epoch: undefined, since: undefined, limit: 1000 });
    expect(read?.('/p', 3)).toEqual({ client: undefined, epoch: undefined, since: undefined, limit: 1000 });
  });

  it("knows which patterns prove a value plain (then a value's PLAIN test is skipped)", () => {
    for (const pattern of [CLIENT_PATTERN, EPOCH_PATTERN, SINCE_PATTERN, '^[a-z]+$', '^[_.-]{1,2}$'])
      expect(plainOnly(pattern), pattern).toBe(true);
    for (const pattern of ['^[0-9]{0,3}$', '^[a-z%]{1,3}$', '^[_-a]+$', '[a-z]+', '^[a-z]*$', '^[a-z ]{1,2}$', '^.+$'])
      expect(plainOnly(pattern), pattern).toBe(false);
  });
});
