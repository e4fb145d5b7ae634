/** Long-poll clients in a scenario: the group's poll timeout (how long the server may hold one), a counting fetch. */
import type { ScenarioClientKind } from './kind.js';
import { countingFetch } from './polling.js';

export const longPoll: ScenarioClientKind = {
  ownSettings: { longPollTimeoutMs: 'only long-poll clients have a poll timeout' },
  options: (spec, counts, fetchChoice) => ({
    fetch: countingFetch(counts, fetchChoice),
    longPollTimeoutMs: spec.longPollTimeoutMs,
  }),
};
