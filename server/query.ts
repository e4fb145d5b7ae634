/**
 * The query every transport shares: `since`, `epoch`, `client`. Parsed here once, by hand rather
 * than by schema coercion, so `1e3`, `0x10` or `-1` are refused instead of quietly read as numbers.
 * The rules themselves are the contract's (contract/cursor.ts).
 */
import {
  CLIENT_PATTERN,
  type Cursor,
  EPOCH_PATTERN,
  isClientId,
  isEpoch,
  isSinceText,
  parseEventId as readEventId,
  SINCE_PATTERN,
} from '../contract/index.js';
import { BadCursorError, BadQueryError } from './errors.js';

export type RawQuery = Record<string, string | string[] | undefined>;

function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new BadQueryError(`${name} is given more than once`);
  return value;
}

/** The cursor of a request, or null for "live only". Throws a 400 for anything malformed. */
export function parseCursor(query: RawQuery, lastEventId?: string): Cursor<string | null> | null {
  if (lastEventId !== undefined && lastEventId !== '') return parseEventId(lastEventId);
  const since = single(query, 'since');
  const epoch = single(query, 'epoch');
  if (epoch !== undefined && !isEpoch(epoch)) {
    throw new BadCursorError(`epoch must match ${EPOCH_PATTERN}, got ${JSON.stringify(epoch)}`);
  }
  if (since === undefined) {
    if (epoch !== undefined) throw new BadCursorError('epoch without since: send both, or neither for live only');
    return null;
  }
  if (!isSinceText(since)) {
    throw new BadCursorError(
      `since must be a whole number of 1 to 15 digits (${SINCE_PATTERN}), got ${JSON.stringify(since)}`,
    );
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
  const client = single(query, 'client');
  if (client === undefined) return null;
  if (!isClientId(client)) throw new BadQueryError(`client must match ${CLIENT_PATTERN}`);
  return client;
}

/** A bounded integer query parameter (digits only), or its default when absent. */
export function parseBoundedInt(
  query: RawQuery,
  name: string,
  bounds: { min: number; max: number; default: number },
  makeError: (message: string) => Error,
): number {
  const raw = single(query, name);
  if (raw === undefined) return bounds.default;
  const value = /^[0-9]{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= bounds.min && value <= bounds.max)) {
    throw makeError(`${name} must be a whole number within ${bounds.min}…${bounds.max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
