/**
 * The answer body short and long polls share: `{"epoch","head","messages":[…],"reset"?}`, built by
 * concatenating each message's one serialized text, never re-serializing it.
 */
import type { ResetNotice } from '../../contract/index.js';
import type { Accounting, Attribution } from '../accounting/accounting.js';
import type { FeedEntry } from '../feed/feed.js';

export function pollAnswer(
  accounting: Accounting,
  who: Attribution,
  epoch: string,
  head: number,
  entries: readonly FeedEntry[],
  reset: ResetNotice | null,
): string {
  accounting.delivered(who, entries);
  if (entries.length === 0) accounting.emptyAnswer(who);
  if (reset) accounting.reset(who);
  const messages = entries.map((entry) => entry.text).join(',');
  const resetField = reset ? `,"reset":${JSON.stringify(reset)}` : '';
  return `{"epoch":"${epoch}","head":${head},"messages":[${messages}]${resetField}}`;
}
