/**
 * The query every transport shares: `since`, `epoch`, `client`. Parsed here once, by hand rather
 * than by schema coercion, so `1e3`, `0x10` or `-1` are refused instead of quietly read as numbers.
 */
import { CLIENT_PATTERN, EPOCH_PATTERN, SINCE_PATTERN } from '../contract/index.js';
import { BadCursorError, BadQueryError } from './errors.js';
import type { Cursor } from './feed/feed.js';

const SINCE = new RegExp(SINCE_PATTERN);
const EPOCH = new RegExp(EPOCH_PATTERN);
const CLIENT = new RegExp(CLIENT_PATTERN);

export type RawQuery = Record<string, string | string[] | undefined>;

function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new BadQueryError(`${name} is given more than once`);
  return value;
}

/** The cursor of a request, or null for "live only". Throws a 400 for anything malformed. */
export function parseCursor(query: RawQuery, lastEventId?: string): Cursor | null {
  if (lastEventId !== undefined && lastEventId !== '') return parseEventId(lastEventId);
  const since = single(query, 'since');
  const epoch = single(query, 'epoch');
  if (epoch !== undefined && !EPOCH.test(epoch)) {
    throw new BadCursorError(`epoch must match ${EPOCH_PATTERN}, got ${JSON.stringify(epoch)}`);
  }
  if (since === undefined) {
    if (epoch !== undefined) throw new BadCursorError('epoch without since: send both, or neither for live only');
    return null;
  }
  if (!SINCE.test(since)) {
    throw new BadCursorError(
      `since must be a whole number of 1 to 15 digits (${SINCE_PATTERN}), got ${JSON.stringify(since)}`,
    );
  }
  return { since: Number(since), epoch: epoch ?? null };
}

/** SSE `Last-Event-ID`, as the lab's stream writes ids: `<epoch>:<seq>`. */
export function parseEventId(id: string): Cursor {
  const [epoch, since, extra] = id.split(':');
  if (extra !== undefined || !EPOCH.test(epoch) || since === undefined || !SINCE.test(since)) {
    throw new BadCursorError(`Last-Event-ID must be <epoch>:<seq>, got ${JSON.stringify(id)}`);
  }
  return { epoch, since: Number(since) };
}

/** The client id a request names, or null. A malformed one is refused: it would pollute the stats. */
export function parseClient(query: RawQuery): string | null {
  const client = single(query, 'client');
  if (client === undefined) return null;
  if (!CLIENT.test(client)) throw new BadQueryError(`client must match ${CLIENT_PATTERN}`);
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
