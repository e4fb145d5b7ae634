/**
 * Cursors and client ids: what a request may name, and the one way each is checked. The server
 * (server/query.ts), the clients (client/transports/base.ts) and the scenario runner all use these,
 * so a value one side accepts the other never refuses. docs/contract.md has the resume table.
 */

/** Query parameters every transport accepts, as regular-expression sources (quoted in error messages). */
export const SINCE_PATTERN = '^[0-9]{1,15}$';
export const EPOCH_PATTERN = '^[0-9a-z]{1,16}$';
export const CLIENT_PATTERN = '^[0-9A-Za-z_.-]{1,64}$';

const SINCE = new RegExp(SINCE_PATTERN);
const EPOCH = new RegExp(EPOCH_PATTERN);
const CLIENT = new RegExp(CLIENT_PATTERN);

/**
 * `(epoch, seq)`: the last message a client has. A client always knows its epoch; a request may
 * leave it out (`Cursor<string | null>`, epoch null = "the server's current epoch", handy for curl).
 */
export interface Cursor<Epoch extends string | null = string> {
  epoch: Epoch;
  seq: number;
}

/** A client id fit for `client=`: it names a row in the stats, so it is short and plain. */
export function isClientId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT.test(value);
}

export function isEpoch(value: unknown): value is string {
  return typeof value === 'string' && EPOCH.test(value);
}

/** The text of `since=`: digits only, so `1e3`, `0x10` or `-1` are refused, never read as numbers. */
export function isSinceText(value: unknown): value is string {
  return typeof value === 'string' && SINCE.test(value);
}

/** A cursor a client may start from: a valid epoch and a whole seq ≥ 0. */
export function isCursor(value: Cursor): boolean {
  return isEpoch(value.epoch) && Number.isSafeInteger(value.seq) && value.seq >= 0;
}

/** The SSE event id the server writes, and EventSource sends back as `Last-Event-ID`: `<epoch>:<seq>`. */
export function eventId(epoch: string, seq: number): string {
  return `${epoch}:${seq}`;
}

/** Reads an event id written by `eventId`; null for anything else. */
export function parseEventId(id: string): Cursor | null {
  const [epoch, since, extra] = id.split(':');
  if (extra !== undefined || !isEpoch(epoch) || !isSinceText(since)) return null;
  return { epoch, seq: Number(since) };
}
