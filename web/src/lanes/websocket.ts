/**
 * The WebSocket lane: its handshake choices — which subprotocols to offer, and permessage-deflate
 * (`compress=1`). Both are decided by the handshake, so a change reconnects the lane (from its
 * cursor when resume is on); the inspector (handshake.ts) then shows the new offer and answer.
 */
import { ROUTES } from '../../../contract/index.js';
import { h } from '../dom.js';
import type { Lane } from '../lane.js';
import type { LaneKind } from './kind.js';

const OFFERS: [label: string, subprotocols: string[]][] = [
  ['no subprotocol (JSON)', []],
  ['lab.v1.json', ['lab.v1.json']],
  ['lab.v1.msgpack', ['lab.v1.msgpack']],
  ['both: the server picks', ['lab.v1.json', 'lab.v1.msgpack']],
];

function handshakeSettings(lane: Lane): HTMLElement {
  const current = JSON.stringify(lane.options.subprotocols ?? []);
  const select = h('select', { 'data-action': 'subprotocol' });
  OFFERS.forEach(([label, list], i) => {
    select.append(h('option', { value: i, selected: JSON.stringify(list) === current }, label));
  });
  const compress = h('input', {
    type: 'checkbox',
    'data-action': 'compress',
    checked: lane.options.compress === true,
  });
  const reconnect = () => {
    if (!lane.connected) return;
    lane.disconnect();
    lane.connect();
  };
  select.addEventListener('change', () => {
    lane.options.subprotocols = [...(OFFERS[Number(select.value)]?.[1] ?? [])];
    reconnect();
  });
  compress.addEventListener('change', () => {
    lane.options.compress = compress.checked;
    reconnect();
  });
  return h(
    'div',
    { class: 'lane-settings' },
    h(
      'label',
      {
        class: 'setting',
        title: 'Sec-WebSocket-Protocol: what this lane offers; the server answers by its own preference',
      },
      'offer ',
      select,
    ),
    h(
      'label',
      {
        class: 'switch',
        title: 'permessage-deflate (RFC 7692): the browser always offers it; the lab accepts only with ?compress=1',
      },
      compress,
      ' compress',
    ),
  );
}

export const websocket: LaneKind = {
  label: 'WebSocket',
  short: 'WebSocket',
  route: `WebSocket ${ROUTES.websocket}`,
  help: 'One upgraded TCP connection, frames both ways: a 2-byte header up to 125 B of payload, 4 up to 64 KiB. It can also send.',
  settings: handshakeSettings,
  behindBufferingProxy: () =>
    'Behind a buffering proxy: after its 101 a WebSocket is a tunnel, which the proxy relays as it comes — frames keep arriving.',
  behindIdleTimeout: (s) =>
    `Behind a middlebox that forgets connections quiet for ${s}: the server pings every 25 s — too rarely. On a quiet feed the connection is dropped silently and this client, never told, waits forever.`,
};
