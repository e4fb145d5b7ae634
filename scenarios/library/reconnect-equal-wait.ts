/**
 * reconnect-equal-wait: `reconnect` with ONE reconnect wait for every transport. In `reconnect` the
 * transports wait different times by default — EventSource the server's `retry: 1000`, the lab's other
 * clients a full-jitter draw of 0–250 ms (client/backoff.ts) — so its recovery times compare two
 * settings. Here the server sends `retry: 1000` and every lab client's first retry is exactly 1 000 ms
 * too (`--reconnect-wait 1000`): what is left of a difference is the protocol's (docs/lessons/03-sse.md).
 */
import { applyOverrides } from '../define.js';
import { fmt, group } from './expect.js';
import reconnect from './reconnect.js';

const WAIT_MS = 1_000;
const base = applyOverrides(reconnect, { reconnectWaitMs: WAIT_MS });

export default Object.freeze({
  ...base,
  name: 'reconnect-equal-wait',
  description: `${reconnect.description} Every transport waits the same ${WAIT_MS} ms before reconnecting (SSE's retry: and every other client's first retry, no jitter).`,
  expectations: [
    ...base.expectations,
    {
      text: `with one wait, SSE and WebSocket recover alike: mean recovery times within ${WAIT_MS / 4} ms of each other`,
      check: (s) => {
        const sse = group(s, 'sse').recoveryMs ?? Number.NaN;
        const ws = group(s, 'websocket').recoveryMs ?? Number.NaN;
        return {
          pass: Math.abs(sse - ws) <= WAIT_MS / 4,
          detail: `sse ${fmt(sse)} ms, websocket ${fmt(ws)} ms (wait ${WAIT_MS} ms each)`,
        };
      },
    },
  ],
});
