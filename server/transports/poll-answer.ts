/**
 * The answer body short and long polls share: `{"epoch","head","messages":[…],"reset"?}`, built by
 * concatenating each message's one serialized text, never re-serializing it. Its counting is
 * apart from its text, so one body can answer many held long polls (long-poll-waiters.ts).
 */
import type { ResetNotice } from '../../contract/index.js';
import type { Accounting, Attribution } from '../accounting/accounting.js';
import type { FeedEntry } from '../feed/feed.js';

export function pollBody(
  epoch: string,
  head: number,
  entries: readonly FeedEntry[],
  reset: ResetNotice | null,
): string {
  let messages = '';
  for (let i = 0; i < entries.length; i++) messages += i === 0 ? entries[i]?.text : `,${entries[i]?.text}`;
  const resetField = reset ? `,"reset":${JSON.stringify(reset)}` : '';
  return `{"epoch":"${epoch}","head":${head},"messages":[${messages}]${resetField}}`;
}

/** Counts one answer: its messages, an empty answer, a reset. */
export function countAnswer(
  accounting: Accounting,
  who: Attribution,
  entries: readonly FeedEntry[],
  reset: ResetNotice | null,
): void {
  accounting.delivered(who, entries);
  if (entries.length === 0) accounting.emptyAnswer(who);
  if (reset) accounting.reset(who);
}

export function pollAnswer(
  accounting: Accounting,
  who: Attribution,
  epoch: string,
  head: number,
  entries: readonly FeedEntry[],
  reset: ResetNotice | null,
): string {
  countAnswer(accounting, who, entries, reset);
  return pollBody(epoch, head, entries, reset);
}
