/** The long-polling lane: how long the server may hold a poll; a held poll can outlive a middlebox's patience. */
import { LONG_POLL_TIMEOUT, ROUTES } from '../../../contract/index.js';
import { h } from '../dom.js';
import { answersPassWhole, durationChoice, type LaneKind } from './kind.js';

const LONG_POLL_TIMEOUTS = [1_000, 5_000, 10_000, 25_000, LONG_POLL_TIMEOUT.max];

export const longPoll: LaneKind = {
  label: 'Long polling',
  short: 'long poll',
  route: `fetch GET ${ROUTES['long-poll']}`,
  help: 'The server holds each request until there is a message (or the timeout); the client asks again at once. Push-like ages, a whole HTTP exchange per answer.',
  settings: (lane) =>
    h(
      'div',
      { class: 'lane-settings' },
      durationChoice(
        {
          label: 'hold up to',
          action: 'timeout',
          title:
            'How long the server holds a poll with nothing to say (timeout=); applies from the next request. Short timeouts make empty answers.',
          values: LONG_POLL_TIMEOUTS,
          current: lane.options.longPollTimeoutMs ?? LONG_POLL_TIMEOUT.default,
        },
        (v) => lane.configure({ longPollTimeoutMs: v }),
      ),
    ),
  behindBufferingProxy: answersPassWhole,
  behindIdleTimeout: (s) =>
    `Behind a middlebox that forgets connections quiet for ${s}: a poll held longer than that is cut silently, and only the request timeout brings the client back. Hold polls under ${s}.`,
};
