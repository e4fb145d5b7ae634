/** The short-polling lane: a poll interval to choose; polls never sit quiet behind a middlebox. */
import { ROUTES } from '../../../contract/index.js';
import { h } from '../dom.js';
import { answersPassWhole, durationChoice, type LaneKind } from './kind.js';

const POLL_INTERVALS = [250, 500, 1_000, 2_000, 5_000];

export const shortPoll: LaneKind = {
  label: 'Short polling',
  short: 'short poll',
  route: `fetch GET ${ROUTES['short-poll']}`,
  help: 'Asks “anything new?” on a timer. Watch the age spread from 0 up to the interval, and the empty answers pile up when the feed is slow.',
  settings: (lane) =>
    h(
      'div',
      { class: 'lane-settings' },
      durationChoice(
        {
          label: 'poll every',
          action: 'interval',
          title: 'Pause between two polls; applies from the next poll',
          values: POLL_INTERVALS,
          current: lane.options.pollIntervalMs ?? 1_000,
        },
        (v) => lane.configure({ pollIntervalMs: v }),
      ),
    ),
  behindBufferingProxy: answersPassWhole,
  behindIdleTimeout: (s) =>
    `Behind a middlebox that forgets connections quiet for ${s}: polls are never quiet that long.`,
};
