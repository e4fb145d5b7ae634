/**
 * ws-framing: one WebSocket feed, four framings side by side — JSON text and MessagePack binary
 * frames (the `lab.v1.json` / `lab.v1.msgpack` subprotocols), each with and without
 * permessage-deflate (`compress=1`, RFC 7692). Every client counts its bytes at its own socket.
 *
 * The ticker pads its messages with one repeated letter: deflate's best case. For realistic JSON,
 * and for the server's CPU per message and memory per connection of each framing, see
 * `npm run bench:ws-framing` (scripts/ws-framing-bench.ts, results/ws-framing-bench/).
 */
import { defineScenario } from '../define.js';
import { fmt, group, noLoss } from './expect.js';

const GROUPS = ['ws-json', 'ws-msgpack', 'ws-json-deflate', 'ws-msgpack-deflate'] as const;

export default defineScenario({
  name: 'ws-framing',
  description:
    'WebSocket only: JSON text vs MessagePack binary frames, each with and without permessage-deflate; 5 clients per framing, 20 msg/s of 512-byte ticker messages for 8 s.',
  feed: { rate: 20, payloadBytes: 512 },
  clients: {
    websocket: [
      { name: 'ws-json', count: 5, subprotocol: 'lab.v1.json' },
      { name: 'ws-msgpack', count: 5, subprotocol: 'lab.v1.msgpack' },
      { name: 'ws-json-deflate', count: 5, subprotocol: 'lab.v1.json', compress: true },
      { name: 'ws-msgpack-deflate', count: 5, subprotocol: 'lab.v1.msgpack', compress: true },
    ],
  },
  warmupMs: 1_500,
  durationMs: 8_000,
  expectations: [
    noLoss(['websocket']),
    {
      text: 'no framing loses or repeats a message',
      check: (s) => {
        const rows = GROUPS.map((name) => ({ ...group(s, name), name }));
        return {
          pass: rows.every((r) => r.lost === 0 && r.duplicates === 0 && r.delivered > 0),
          detail: rows.map((r) => `${r.name} ${r.delivered}/${r.expected}`).join(', '),
        };
      },
    },
    {
      text: 'MessagePack carries each message in fewer bytes than JSON, compressed or not',
      check: (s) => {
        const b = (name: string) => group(s, name).bytesPerMessage;
        return {
          pass: b('ws-msgpack') < b('ws-json') && b('ws-msgpack-deflate') < b('ws-json-deflate'),
          detail: GROUPS.map((name) => `${name} ${fmt(b(name))} B/msg`).join(', '),
        };
      },
    },
    {
      text: 'deflate puts fewer bytes on the wire than the message itself holds',
      check: (s) => {
        const rows = ['ws-json-deflate', 'ws-msgpack-deflate'].map((name) => ({ ...group(s, name), name }));
        return {
          pass: rows.every((r) => r.bytesPerMessage < r.payloadPerMessage),
          detail: rows
            .map((r) => `${r.name} ${fmt(r.bytesPerMessage)} wire vs ${fmt(r.payloadPerMessage)} payload B/msg`)
            .join(', '),
        };
      },
    },
  ],
});
