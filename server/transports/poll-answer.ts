/**
 * The answer body short and long polls share: `{"epoch","head","messages":[…],"reset"?}`, built by
 * concatenating each message's one serialized text, never re-serializing it.
 */
import type { ResetNotice } from '../../contract/index.js';
import type { Attribution, Ledger } from '../accounting/ledger.js';
import type { FeedEntry } from '../feed/feed.js';
import { countDelivered } from '../lab.js';

export function pollAnswer(
  ledger: Ledger,
  who: Attribution,
  epoch: string,
  head: number,
  entries: readonly FeedEntry[],
  reset: ResetNotice | null,
): string {
  countDelivered(ledger, who, entries);
  if (entries.length === 0) ledger.add(who, 'emptyResponses', 1);
  if (reset) ledger.add(who, 'resets', 1);
  const messages = entries.map((entry) => entry.text).join(',');
  const resetField = reset ? `,"reset":${JSON.stringify(reset)}` : '';
  return `{"epoch":"${epoch}","head":${head},"messages":[${messages}]${resetField}}`;
}
