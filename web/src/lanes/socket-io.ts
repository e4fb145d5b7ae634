/** The Socket.IO lane: Engine.IO's transports — its own long polling, the upgrade students should watch, or WebSocket at once. */
import type { SocketIoTransportName } from '../../../client/transports/types.js';
import { ROUTES } from '../../../contract/index.js';
import { h } from '../dom.js';
import type { Lane } from '../lane.js';
import { answersPassWhole, type LaneKind } from './kind.js';

const ENGINE_TRANSPORTS = [
  ['polling,websocket', 'polling → websocket'],
  ['polling', 'polling only'],
  ['websocket', 'websocket only'],
] as const;

function engineSettings(lane: Lane): HTMLElement {
  const select = h('select', { 'data-action': 'engine-transports' });
  const current = (lane.options.socketIoTransports ?? ['polling', 'websocket']).join(',');
  for (const [value, text] of ENGINE_TRANSPORTS)
    select.append(h('option', { value, selected: value === current }, text));
  select.addEventListener('change', () => {
    lane.configure({ socketIoTransports: select.value.split(',') as SocketIoTransportName[] });
  });
  return h(
    'div',
    { class: 'lane-settings' },
    h(
      'label',
      {
        class: 'setting',
        title: "Engine.IO's transports (io(url, { transports })); applies at once, with a new connection",
      },
      'transports ',
      select,
    ),
  );
}

export const socketIo: LaneKind = {
  label: 'Socket.IO',
  short: 'Socket.IO',
  route: `io() ${ROUTES['socket.io']}`,
  help: 'Socket.IO: Engine.IO long-polls first, then upgrades to a WebSocket; each message is an event, 42["feed",{…}], with 2/3 heartbeats. It can also send, and recovers a short gap by itself.',
  settings: engineSettings,
  behindBufferingProxy: () =>
    `${answersPassWhole()} Once Engine.IO has upgraded to a WebSocket, the proxy relays that tunnel as it comes.`,
  // Engine.IO's client closes when no ping came within pingInterval + pingTimeout (server/config.ts:
  // 25 s + 20 s here), so unlike the bare WebSocket lane it notices the silent cut on its own.
  behindIdleTimeout: (s) =>
    `Behind a middlebox that forgets connections quiet for ${s}: Engine.IO's heartbeat (a "2" from the server every 25 s, "3" back) is too rare to keep a quiet connection alive, but the client notices the missing ping within 45 s, reconnects and recovers the gap.`,
};
