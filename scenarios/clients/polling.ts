/** Both polls' counting fetch: every poll is a request, and an answer with no message is an empty one. */
import type { FetchLike } from '../../client/transports/index.js';
import { createHttpFetch } from '../../tools/http-fetch.js';
import type { FetchChoice, RequestCounts } from './kind.js';

/** The body of a poll answer without messages starts `{"epoch":"…","head":N,"messages":[]`. */
function isEmptyPoll(body: string): boolean {
  const at = body.indexOf('"messages":[');
  return at >= 0 && body.charCodeAt(at + 12) === 93; // ']'
}

export function countingFetch(counts: RequestCounts, choice: FetchChoice): FetchLike {
  const fetch: FetchLike = choice === 'global' ? (globalThis.fetch as unknown as FetchLike) : createHttpFetch();
  return async (url, init) => {
    counts.requests += 1;
    const response = await fetch(url, init);
    return {
      status: response.status,
      async text() {
        const body = await response.text();
        if (response.status === 200 && isEmptyPoll(body)) counts.emptyResponses += 1;
        return body;
      },
    };
  };
}
