/** SSE clients in a scenario: the `eventsource` package's EventSource, its every request counted. */
import { EventSource as NodeEventSource } from 'eventsource';
import type { EventSourceConstructorLike } from '../../client/transports/index.js';
import type { RequestCounts, ScenarioClientKind } from './kind.js';

function countingEventSource(counts: RequestCounts): EventSourceConstructorLike {
  // EventSource reconnects by itself through this fetch, so its reconnects are counted too.
  const counted: typeof fetch = (input, init) => {
    counts.requests += 1;
    return fetch(input, init);
  };
  return class CountingEventSource extends NodeEventSource {
    constructor(url: string) {
      super(url, { fetch: counted });
    }
  } as unknown as EventSourceConstructorLike;
}

export const sse: ScenarioClientKind = {
  ownSettings: {},
  options: (_spec, counts) => ({ EventSource: countingEventSource(counts) }),
};
