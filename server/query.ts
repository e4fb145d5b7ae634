/**
 * The query every transport shares: `since`, `epoch`, `client`, as one TypeBox schema. It is the
 * route's querystring schema where Fastify validates (the polls, SSE, the stats), and the check
 * `parseCursor`/`parseClient` run where it does not (a WebSocket upgrade, Socket.IO's handshake).
 * Values stay strings matched by the contract's patterns (contract/cursor.ts) rather than coerced
 * numbers, so `1e3`, `0x10` or `-1` are refused instead of quietly read as numbers. A field that
 * fails answers the lab's own error (docs/contract.md), not Fastify's generic validation error.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler, type ValueError } from '@sinclair/typebox/compiler';
import type { FastifyRouteSchemaDef, FastifyValidationResult } from 'fastify/types/schema.js';
import {
  CLIENT_PATTERN,
  type Cursor,
  EPOCH_PATTERN,
  parseEventId as readEventId,
  SINCE_PATTERN,
} from '../contract/index.js';
import { BadCursorError, BadQueryError } from './errors.js';

export type RawQuery = Record<string, string | string[] | undefined>;

/**
 * One query field: a string matching `pattern`. `must` is what the error says it must be; a
 * `cursor` field's error is LAB_BAD_CURSOR, any other's LAB_BAD_QUERY.
 */
const field = (pattern: string, must: string, cursor = false) => Type.Optional(Type.String({ pattern, must, cursor }));

export const FeedQuerySchema = Type.Object({
  client: field(CLIENT_PATTERN, `must match ${CLIENT_PATTERN}`),
  epoch: field(EPOCH_PATTERN, `must match ${EPOCH_PATTERN}`, true),
  since: field(SINCE_PATTERN, `must be a whole number of 1 to 15 digits (${SINCE_PATTERN})`, true),
});
export type FeedQuery = Static<typeof FeedQuerySchema>;

/** The query of the stats routes: only `client`. */
export const ClientQuerySchema = Type.Object({ client: FeedQuerySchema.properties.client });

/** The lab's error for the first field that failed: which, what it must be, what came. */
function queryError(error: ValueError): Error {
  const name = error.path.slice(1);
  // A repeated key arrives as an array: refused, not guessed.
  if (Array.isArray(error.value)) return new BadQueryError(`${name} is given more than once`);
  const must = typeof error.schema.must === 'string' ? error.schema.must : 'is malformed';
  const message = `${name} ${must}, got ${JSON.stringify(error.value)}`;
  return error.schema.cursor === true ? new BadCursorError(message) : new BadQueryError(message);
}

/**
 * Fastify's validator for a querystring given as one of these schemas: TypeBox checks it, and a
 * failure is the lab's error with its status and code (Fastify keeps an Error's own statusCode).
 */
export function queryValidator<S>({ schema }: FastifyRouteSchemaDef<S>): FastifyValidationResult {
  // Fastify calls this once per part (here: the querystring) with that part's schema; its types
  // name the route's whole schema object instead.
  const check = TypeCompiler.Compile(schema as TSchema);
  return (value: unknown) => {
    if (check.Check(value)) return { value };
    const first = check.Errors(value).First();
    return { error: first ? queryError(first) : new BadQueryError('malformed query') };
  };
}

/** A route's options for a feed query: validated by FeedQuerySchema, failures answered as the lab's errors. */
export const FEED_QUERY = { schema: { querystring: FeedQuerySchema }, validatorCompiler: queryValidator };
/** The same for the stats routes (`client` only). */
export const CLIENT_QUERY = { schema: { querystring: ClientQuerySchema }, validatorCompiler: queryValidator };

const feedQuery = TypeCompiler.Compile(FeedQuerySchema);

/** The shared fields of a query, checked against FeedQuerySchema (throws the lab's 400). */
function checked(query: RawQuery): FeedQuery {
  if (feedQuery.Check(query)) return query;
  const first = feedQuery.Errors(query).First();
  throw first ? queryError(first) : new BadQueryError('malformed query');
}

/** The cursor of a request, or null for "live only". Throws a 400 for anything malformed. */
export function parseCursor(query: RawQuery, lastEventId?: string): Cursor<string | null> | null {
  if (lastEventId !== undefined && lastEventId !== '') return parseEventId(lastEventId);
  const { since, epoch } = checked(query);
  if (since === undefined) {
    if (epoch !== undefined) throw new BadCursorError('epoch without since: send both, or neither for live only');
    return null;
  }
  return { seq: Number(since), epoch: epoch ?? null };
}

/** SSE `Last-Event-ID`, as the lab's stream writes ids: `<epoch>:<seq>`. */
export function parseEventId(id: string): Cursor {
  const cursor = readEventId(id);
  if (cursor === null) throw new BadCursorError(`Last-Event-ID must be <epoch>:<seq>, got ${JSON.stringify(id)}`);
  return cursor;
}

/** The client id a request names, or null. A malformed one is refused: it would pollute the stats. */
export function parseClient(query: RawQuery): string | null {
  return checked(query).client ?? null;
}

/** A bounded integer query parameter (digits only), or its default when absent. */
export function parseBoundedInt(
  query: RawQuery,
  name: string,
  bounds: { min: number; max: number; default: number },
  makeError: (message: string) => Error,
): number {
  const raw = query[name];
  if (Array.isArray(raw)) throw new BadQueryError(`${name} is given more than once`);
  if (raw === undefined) return bounds.default;
  const value = /^[0-9]{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= bounds.min && value <= bounds.max)) {
    throw makeError(`${name} must be a whole number within ${bounds.min}…${bounds.max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
