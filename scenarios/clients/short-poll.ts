/** Short-poll clients in a scenario: the group's poll interval, a counting fetch. */
import type { ScenarioClientKind } from './kind.js';
import { countingFetch } from './polling.js';

export const shortPoll: ScenarioClientKind = {
  ownSettings: { pollIntervalMs: 'only short-poll clients have a poll interval' },
  options: (spec, counts, fetchChoice) => ({
    fetch: countingFetch(counts, fetchChoice),
    pollIntervalMs: spec.pollIntervalMs,
  }),
};
