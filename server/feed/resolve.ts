/**
 * A transport's one way to resolve a cursor. With the memory backend it is `feed.resolve`, in the
 * same turn. Behind a broker a cursor may come from another instance that is a few milliseconds
 * ahead of this one (a seq this replica has not read yet, or an epoch it has not adopted yet):
 * then it waits, bounded, for the replica to catch up, instead of calling it a future cursor or
 * resetting a client that is in fact current.
 */

import type { Cursor } from '../../contract/index.js';
import type { Lab } from '../lab.js';
import type { Resolution } from './feed.js';

export function resolveCursor(
  lab: Lab,
  cursor: Cursor<string | null> | null,
  limit?: number,
): Resolution | Promise<Resolution> {
  const first = lab.feed.resolve(cursor, limit);
  if (cursor === null) return first;
  if (first.kind === 'ok' && first.reset?.reason !== 'epoch') return first;
  const wait = lab.backend.settle(cursor);
  if (wait === null) return first;
  return wait.then(() => lab.feed.resolve(cursor, limit));
}
