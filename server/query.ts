/**
 * The routes' query strings as TypeBox schemas: the shared `since`, `epoch`, `client`, and the
 * bounded whole numbers (`limit`, `timeout`, `interval`) with their limits from contract/index.ts.
 * A route declares its schema (`querySchema(...)`) and Fastify's TypeBox type provider types its
 * `request.query` from it; where Fastify does not validate (a WebSocket's socket handler,
 * Socket.IO's handshake) `parseCursor`/`parseClient` run the same compiled check.
 * Strings stay strings matched by the contract's patterns (contract/cursor.ts) and a whole number
 * is read only from digits, so `1e3`, `0x10` or `-1` are refused instead of quietly read as numbers.
 * A field that fails answers the lab's own error (docs/contract.md), not Fastify's generic one.
 */
import { type Static, type TObject, Type } from '@sinclair/typebox';
import { TypeCompiler, type ValueError } from '@sinclair/typebox/compiler';
import type { FastifyRouteSchemaDef, FastifyValidationResult } from 'fastify/types/schema.js';
import {
  CLIENT_PATTERN,
  type Cursor,
  EPOCH_PATTERN,
  parseEventId as readEventId,
  SINCE_PATTERN,
  TRANSPORTS,
} from '../contract/index.js';
import { BadCursorError, BadQueryError, BadTimeoutError } from './errors.js';

export type RawQuery = Record<string, string | string[] | undefined>;

/** Which of the lab's errors a field's failure answers (docs/contract.md, "Errors"). */
type Fails = 'cursor' | 'timeout' | 'query';
const ERRORS: Record<Fails, (message: string) => Error> = {
  cursor: (message) => new BadCursorError(message),
  timeout: (message) => new BadTimeoutError(message),
  query: (message) => new BadQueryError(message),
};

/** One string field matching `pattern`; `must` is what its error says it must be. */
const field = (pattern: string, must: string, fails: Fails = 'query') =>
  Type.Optional(Type.String({ pattern, must, fails }));

/**
 * A whole number within `bounds`, written as digits; absent, its default (so the handler's type is
 * `number`, as with Ajv's `useDefaults`).
 */
export const boundedInt = (bounds: { min: number; max: number; default: number }, fails: Fails = 'query') =>
  Type.Integer({
    minimum: bounds.min,
    maximum: bounds.max,
    default: bounds.default,
    must: `must be a whole number within ${bounds.min}…${bounds.max}`,
    fails,
  });

/** A client id (contract/cursor.ts), where one is required: the cut's `:client`. */
export const ClientIdSchema = Type.String({
  pattern: CLIENT_PATTERN,
  must: `must match ${CLIENT_PATTERN}`,
  fails: 'query',
});

/** The fields every feed route shares. */
export const FEED_FIELDS = {
  client: Type.Optional(ClientIdSchema),
  epoch: field(EPOCH_PATTERN, `must match ${EPOCH_PATTERN}`, 'cursor'),
  since: field(SINCE_PATTERN, `must be a whole number of 1 to 15 digits (${SINCE_PATTERN})`, 'cursor'),
};
export const FeedQuerySchema = Type.Object(FEED_FIELDS);
export type FeedQuery = Static<typeof FeedQuerySchema>;

/** The query of the routes that name only a client (the stats). */
export const ClientQuerySchema = Type.Object({ client: FEED_FIELDS.client });

/** A transport's name, as the cut's `?transport=` gives it. */
export const TransportNameSchema = Type.Union(
  TRANSPORTS.map((name) => Type.Literal(name)),
  { must: `must be one of ${TRANSPORTS.join(', ')}` },
);

/** The lab's error for the first field that failed: which, what it must be, what came. */
function fieldError(error: ValueError, input: unknown): Error {
  const name = error.path.slice(1);
  // What the client sent (a whole number's check sees the number read from it).
  const sent = (input as Record<string, unknown> | null)?.[name] ?? error.value;
  // A repeated key arrives as an array: refused, not guessed.
  if (Array.isArray(sent)) return new BadQueryError(`${name} is given more than once`);
  const must = typeof error.schema.must === 'string' ? error.schema.must : 'is malformed';
  const fails: Fails =
    error.schema.fails === 'cursor' || error.schema.fails === 'timeout' ? error.schema.fails : 'query';
  return ERRORS[fails](`${name} ${must}, got ${JSON.stringify(sent)}`);
}

const DIGITS = /^[0-9]{1,9}$/;

/** A whole-number field of a schema: its name and its default, if it has one. */
type IntegerField = readonly [name: string, fallback: unknown];

/** The schema's whole-number fields, listed once when the schema is compiled (not per request). */
function integerFields(schema: TObject): readonly IntegerField[] {
  return Object.entries(schema.properties)
    .filter(([, property]) => property.type === 'integer')
    .map(([name, property]) => [name, property.default] as const);
}

/**
 * The query with its whole-number fields read (digits only; anything else is left for the check
 * to refuse) and their defaults filled in: what Ajv's `coerceTypes` and `useDefaults` would do,
 * stricter about what counts as a number.
 */
function withNumbers(integers: readonly IntegerField[], input: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(input as Record<string, unknown> | null) };
  for (const [name, fallback] of integers) {
    const raw = out[name];
    if (raw === undefined && fallback !== undefined) out[name] = fallback;
    else if (typeof raw === 'string' && DIGITS.test(raw)) out[name] = Number(raw);
  }
  return out;
}

/**
 * One field's check on the way that accepts: the value to keep (a whole number read from its digits,
 * or the default), `KEEP` for the field as sent, or `REFUSE` for anything the full check must look at.
 */
type FieldCheck = (raw: unknown) => unknown;
const KEEP = Symbol('keep');
const REFUSE = Symbol('refuse');

/** Schema keywords the direct checks below implement exactly as TypeBox's compiled check does. */
const STRING_KEYS = new Set(['type', 'pattern', 'maxLength', 'must', 'fails']);
const INTEGER_KEYS = new Set(['type', 'minimum', 'maximum', 'default', 'must', 'fails']);

/** The direct check of one field, or null when its schema has a keyword it does not know. */
function fieldCheck(property: Record<string, unknown>, required: boolean): FieldCheck | null {
  const keys = Object.keys(property);
  if (property.type === 'string' && keys.every((key) => STRING_KEYS.has(key))) {
    const pattern = typeof property.pattern === 'string' ? new RegExp(property.pattern) : null;
    const maxLength = typeof property.maxLength === 'number' ? property.maxLength : Number.POSITIVE_INFINITY;
    return (raw) => {
      if (raw === undefined) return required ? REFUSE : KEEP;
      if (typeof raw !== 'string' || raw.length > maxLength) return REFUSE;
      return pattern === null || pattern.test(raw) ? KEEP : REFUSE;
    };
  }
  const { minimum, maximum } = property;
  if (
    property.type === 'integer' &&
    keys.every((key) => INTEGER_KEYS.has(key)) &&
    typeof minimum === 'number' &&
    typeof maximum === 'number'
  ) {
    const fallback = property.default;
    const within = (n: unknown) =>
      Number.isInteger(n) && (n as number) <= maximum && (n as number) >= minimum ? n : REFUSE;
    return (raw) => {
      if (raw === undefined) return fallback === undefined ? (required ? REFUSE : KEEP) : within(fallback);
      return typeof raw === 'string' && DIGITS.test(raw) ? within(Number(raw)) : REFUSE;
    };
  }
  return null;
}

/**
 * The whole schema's direct check: what `withNumbers` and the compiled check together accept, with
 * the same value, without copying the query twice or asking TypeBox; null when the schema has
 * something it does not know (then every query takes the full way). On any doubt it answers
 * undefined, and the full way decides — and words the error.
 */
export function directCheck(schema: TObject): ((input: unknown) => Record<string, unknown> | undefined) | null {
  if (schema.additionalProperties !== undefined || schema.patternProperties !== undefined) return null;
  const required = new Set(schema.required ?? []);
  const fields: [string, FieldCheck][] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    const check = fieldCheck(property as unknown as Record<string, unknown>, required.has(name));
    if (check === null) return null;
    fields.push([name, check]);
  }
  return (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
    const value: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    for (let i = 0; i < fields.length; i++) {
      const [name, check] = fields[i] as [string, FieldCheck];
      const kept = check(value[name]);
      if (kept === REFUSE) return undefined;
      if (kept !== KEEP) value[name] = kept;
    }
    return value;
  };
}

/**
 * A compiled check of one object schema that returns the parsed value or the lab's error. A query
 * the direct check accepts is answered by it (every well-formed poll); any other takes the full way.
 */
export function compileQuery(
  schema: TObject,
  useDirect = true,
): (input: unknown) => { value: Record<string, unknown> } | { error: Error } {
  const check = TypeCompiler.Compile(schema);
  const integers = integerFields(schema);
  // `useDirect: false` is the full way alone: test/query-direct.property.test.ts compares the two.
  const direct = useDirect ? directCheck(schema) : null;
  return (input) => {
    const accepted = direct?.(input);
    if (accepted !== undefined) return { value: accepted };
    const value = withNumbers(integers, input);
    if (check.Check(value)) return { value };
    const first = check.Errors(value).First();
    return { error: first ? fieldError(first, input) : new BadQueryError('malformed query') };
  };
}

/**
 * Fastify's validator for a route whose querystring (and params) are given as these schemas:
 * TypeBox checks them, and a failure is the lab's error with its status and code (Fastify keeps
 * an Error's own statusCode).
 */
export function queryValidator<S>({ schema }: FastifyRouteSchemaDef<S>): FastifyValidationResult {
  // Fastify calls this once per part (querystring, params) with that part's schema; its types
  // name the route's whole schema object instead.
  const run = compileQuery(schema as TObject);
  return (input: unknown) => run(input);
}

/** A route's options for a query schema: validated by queryValidator, typed by the TypeBox provider. */
export function querySchema<Q extends TObject>(querystring: Q) {
  return { schema: { querystring }, validatorCompiler: queryValidator };
}

export const FEED_QUERY = querySchema(FeedQuerySchema);
export const CLIENT_QUERY = querySchema(ClientQuerySchema);

const checkFeedQuery = compileQuery(FeedQuerySchema);

/** The cursor of a validated feed query, or null for "live only". Throws a 400 for a half cursor. */
export function cursorOf(query: FeedQuery, lastEventId?: string): Cursor<string | null> | null {
  if (lastEventId !== undefined && lastEventId !== '') return parseEventId(lastEventId);
  const { since, epoch } = query;
  if (since === undefined) {
    if (epoch !== undefined) throw new BadCursorError('epoch without since: send both, or neither for live only');
    return null;
  }
  return { seq: Number(since), epoch: epoch ?? null };
}

/**
 * `cursorOf` for a fast lane's `prepare` (server/fast-lane.ts): `undefined` where it would throw
 * (an epoch without since), so the lane hands that request to Fastify, whose 400 it stays.
 */
export function laneCursorOf(query: FeedQuery): Cursor<string | null> | null | undefined {
  try {
    return cursorOf(query);
  } catch {
    return undefined;
  }
}

/** A query Fastify did not validate (a WebSocket's, Socket.IO's), checked against FeedQuerySchema. */
function checked(query: RawQuery): FeedQuery {
  const result = checkFeedQuery(query);
  if ('error' in result) throw result.error;
  return result.value as FeedQuery;
}

/** The cursor of an unvalidated request, or null for "live only". Throws a 400 for anything malformed. */
export function parseCursor(query: RawQuery, lastEventId?: string): Cursor<string | null> | null {
  return cursorOf(checked(query), lastEventId);
}

/** SSE `Last-Event-ID`, as the lab's stream writes ids: `<epoch>:<seq>`. */
export function parseEventId(id: string): Cursor {
  const cursor = readEventId(id);
  if (cursor === null) throw new BadCursorError(`Last-Event-ID must be <epoch>:<seq>, got ${JSON.stringify(id)}`);
  return cursor;
}

/** The client id an unvalidated request names, or null. A malformed one is refused: it would pollute the stats. */
export function parseClient(query: RawQuery): string | null {
  return checked(query).client ?? null;
}

/**
 * A fast lane's reading of a route's query (server/fast-lane.ts), straight from the request's URL:
 * `name=value` pairs of the schema's own fields, each at most once, in characters that need no
 * percent-decoding, each field's test run once; null for anything else, which Fastify then reads,
 * checks and words itself. It accepts what Fastify's query parser plus `directCheck` accept with
 * the same values (test/fast-lane.property.test.ts, test/query-direct.property.test.ts).
 * The result is ONE object per reader, filled again for every request (every field, an absent
 * one undefined, a whole number's default filled in): valid until the next call, so a lane's
 * `prepare` reads it and keeps nothing of it. No object per request, and one shape for all, so
 * its reads and writes stay cheap. A field's value that repeats the last one accepted is that
 * very string, not a new copy: a keep-alive client sends the same `client` on every poll, and the
 * same string is then cheap to look up again (its hash is kept) and is tested once, not per poll.
 */
export type LaneQuery = (url: string, from: number) => Record<string, unknown> | null;

/** A value that needs no percent-decoding: what a query-string parser reads as written. */
const PLAIN = /^[0-9A-Za-z_.-]+$/;

/**
 * Whether `pattern` accepts only non-empty values of PLAIN's characters: `^[class]{m,n}$` or
 * `^[class]+$` (m ≥ 1), the class made of `0-9`, `a-z`, `A-Z`, `_`, `.` and a last `-`. Then a
 * value it accepts needs no separate PLAIN test.
 */
export function plainOnly(pattern: string): boolean {
  const shape = /^\^\[([^\]]+)\](?:\{(\d+),\d+\}|\+)\$$/.exec(pattern);
  if (shape === null || (shape[2] !== undefined && Number(shape[2]) < 1)) return false;
  let members = shape[1] as string;
  while (members !== '') {
    const range = /^(?:0-9|a-z|A-Z)/.exec(members);
    if (range !== null) members = members.slice(3);
    else if (members[0] === '_' || members[0] === '.' || members === '-') members = members.slice(1);
    else return false;
  }
  return true;
}

/** How one field of a lane query is read: a string tested by its pattern, or a whole number. */
type LaneField =
  | { kind: 'string'; name: string; pattern: RegExp | null; maxLength: number; plain: boolean; required: boolean }
  | { kind: 'integer'; name: string; minimum: number; maximum: number; absent: number | null | undefined };

/** One field's reading, or null when its schema has a keyword `fieldCheck` would not take. */
function laneField(name: string, property: Record<string, unknown>, required: boolean): LaneField | null {
  if (fieldCheck(property, required) === null) return null;
  if (property.type === 'string') {
    const pattern = typeof property.pattern === 'string' ? property.pattern : null;
    return {
      kind: 'string',
      name,
      pattern: pattern === null ? null : new RegExp(pattern),
      maxLength: typeof property.maxLength === 'number' ? property.maxLength : Number.POSITIVE_INFINITY,
      plain: pattern !== null && plainOnly(pattern),
      required,
    };
  }
  const minimum = property.minimum as number;
  const maximum = property.maximum as number;
  const fallback = property.default;
  // Absent: the default (null when the full check refuses it), undefined when it may be absent.
  const within = Number.isInteger(fallback) && (fallback as number) >= minimum && (fallback as number) <= maximum;
  const absent = fallback === undefined ? (required ? null : undefined) : within ? (fallback as number) : null;
  return { kind: 'integer', name, minimum, maximum, absent };
}

/** The lane's query reader of `schema`, or null when `directCheck` cannot check it. */
export function laneQuery(schema: TObject): LaneQuery | null {
  if (directCheck(schema) === null) return null;
  const required = new Set(schema.required ?? []);
  const fields: LaneField[] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    const read = laneField(name, property as unknown as Record<string, unknown>, required.has(name));
    if (read === null) return null;
    fields.push(read);
  }
  if (fields.length > 30) return null; // `seen` below is a 31-bit mask
  // Each field's value when it is not sent; the fields that must be sent.
  const absentValues = fields.map((field) =>
    field.kind === 'integer' ? field.absent : field.required ? null : undefined,
  );
  let mustBeSent = 0;
  absentValues.forEach((absent, i) => {
    if (absent === null) mustBeSent |= 1 << i;
  });
  /** The one result, all fields present from the start (its shape never changes). */
  const query: Record<string, unknown> = {};
  for (const field of fields) query[field.name] = undefined;
  /** Each string field's last accepted value (one per field: bounded). */
  const last: (string | undefined)[] = fields.map(() => undefined);

  /** Field i's value in url[from, end), or undefined when it would not be accepted. */
  const fieldValue = (i: number, url: string, from: number, end: number): unknown => {
    const field = fields[i] as LaneField;
    const length = end - from;
    if (field.kind === 'integer') {
      // Digits only, 1 to 9 of them (DIGITS), read as the number they write.
      if (length < 1 || length > 9) return undefined;
      let n = 0;
      for (let at = from; at < end; at++) {
        const digit = url.charCodeAt(at) - 48;
        if (digit < 0 || digit > 9) return undefined;
        n = n * 10 + digit;
      }
      return n >= field.minimum && n <= field.maximum ? n : undefined;
    }
    const seen = last[i];
    if (seen !== undefined && seen.length === length && url.startsWith(seen, from)) return seen;
    if (length > field.maxLength) return undefined;
    const value = url.slice(from, end);
    if (field.pattern !== null && !field.pattern.test(value)) return undefined;
    if (!field.plain && !PLAIN.test(value)) return undefined;
    last[i] = value;
    return value;
  };

  return (url, from) => {
    for (let i = 0; i < fields.length; i++) query[(fields[i] as LaneField).name] = absentValues[i] ?? undefined;
    const length = url.length;
    let seen = 0;
    let start = from;
    while (start < length) {
      let end = url.indexOf('&', start);
      if (end < 0) end = length;
      let i = 0;
      for (; i < fields.length; i++) {
        const name = (fields[i] as LaneField).name;
        const eq = start + name.length;
        if (eq < end && url.charCodeAt(eq) === 61 && url.startsWith(name, start)) break;
      }
      if (i === fields.length || (seen & (1 << i)) !== 0) return null;
      seen |= 1 << i;
      const value = fieldValue(i, url, start + (fields[i] as LaneField).name.length + 1, end);
      if (value === undefined) return null;
      query[(fields[i] as LaneField).name] = value;
      // A trailing '&' leaves an empty pair, which a plain query does not have.
      if (end === length) break;
      start = end + 1;
      if (start === length) return null;
    }
    return (seen & mustBeSent) === mustBeSent ? query : null;
  };
}
