/** The Server-Sent Events lane: nothing to set (EventSource decides); one endless response that a buffering proxy holds. */
import { ROUTES } from '../../../contract/index.js';
import { h } from '../dom.js';
import type { LaneKind } from './kind.js';

export const sse: LaneKind = {
  label: 'Server-Sent Events',
  short: 'SSE',
  route: `EventSource ${ROUTES.sse}`,
  help: 'One HTTP response that never ends; each message is an event on it. EventSource reconnects by itself and sends Last-Event-ID.',
  settings: () =>
    h(
      'div',
      { class: 'lane-settings muted' },
      'EventSource reconnects after the server’s retry: delay, sending Last-Event-ID',
    ),
  behindBufferingProxy: (kib) =>
    `Behind a buffering proxy: it holds a response's body until it has ${kib} or the response ends. An SSE stream is one response that never ends, so events wait here until ${kib} have piled up — the lane freezes, then gets a burst.`,
  behindIdleTimeout: (s) =>
    `Behind a middlebox that forgets connections quiet for ${s}: SSE's heartbeat every 15 s keeps this one alive.`,
};
