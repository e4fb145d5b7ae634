/**
 * payload-sweep: message size from 64 B to 64 KiB, the framing overhead as a share of the wire
 * bytes, beside each transport's protocol floor (contract/floor.ts) as the prediction.
 *
 * Why 64 B and not 16: "payload" here is the whole message JSON every transport carries, and
 * its envelope alone — {"epoch":"xxxxxxxx","seq":N,"ts":1764072000123.456,"data":""} — is about
 * 60 bytes. A 16-byte message cannot exist; 64 B is a message with almost no data (16 bytes of
 * `data` make a message of about 80 B). The server's ticker cannot go below 100 B (its data is
 * {kind, n, pad}), so the runner publishes every point itself (`arrivals: 'even'`, a bare
 * string as data), the same way at every size.
 */
import { floorOverhead } from '../../contract/floor.js';
import { TRANSPORTS } from '../../contract/index.js';
import { defineScenario } from '../define.js';
import type { Summary, SweepPoint, TransportSummary } from '../summary.js';
import { fmt, noLossAtEveryPoint } from './expect.js';

const RATE = 10;
const T_MS = 1_000;
/** The compressed WebSocket group (sweep-series.ts draws it beside `websocket`). */
const DEFLATE = 'websocket-deflate';

export default defineScenario({
  name: 'payload-sweep',
  description: `Message size 64 B … 64 KiB at ${RATE} msg/s, 5 clients per transport (and 5 on a WebSocket with permessage-deflate), short poll every ${T_MS / 1000} s, 8 s per point: overhead as a share of the wire, beside the protocol floor.`,
  feed: { rate: RATE, payloadBytes: 64, arrivals: 'even' },
  clients: {
    'short-poll': { count: 5, pollIntervalMs: T_MS },
    'long-poll': { count: 5 },
    sse: { count: 5 },
    websocket: [
      { name: 'websocket', count: 5 },
      // permessage-deflate (RFC 7692, `compress=1`): its own curve. The padding is one repeated
      // letter, deflate's best case; for realistic JSON, and the server's CPU per message and
      // memory per connection with and without it, see `npm run bench:ws-framing`.
      { name: DEFLATE, count: 5, compress: true },
    ],
    'socket.io': { count: 5 },
  },
  warmupMs: 1_500,
  durationMs: 8_000,
  sweep: {
    parameter: 'message size',
    unit: 'bytes',
    values: [64, 256, 1_024, 4_096, 16_384, 65_536],
    apply: (spec, bytes) => ({ ...spec, feed: { ...spec.feed, payloadBytes: bytes } }),
    predict: (spec, bytes) => {
      const predicted: NonNullable<SweepPoint['predicted']> = {};
      for (const t of TRANSPORTS) {
        // The floor: a short poll shares its request among λT messages, a long poll carries one.
        const perResponse = t === 'short-poll' ? Math.max(1, spec.feed.rate * (T_MS / 1000)) : 1;
        const floor = floorOverhead(t, {
          payloadBytes: bytes,
          epoch: 'abcdefgh',
          seq: 1000,
          messagesPerResponse: perResponse,
        }).total;
        predicted[t] = { bytesPerMessage: bytes + floor, overheadPct: (100 * floor) / (bytes + floor) };
      }
      return predicted;
    },
  },
  expectations: [
    noLossAtEveryPoint(),
    {
      // The count is uncertain by one message per client at each end of the window (one may be
      // in flight, its bytes counted and it not yet received, or the reverse).
      text: 'no transport spends less than its protocol floor, within one message per client at each end of the window (else the counting is wrong)',
      check: (s) => {
        const bad: string[] = [];
        for (const p of s.sweep?.points ?? []) {
          for (const t of TRANSPORTS) {
            const x = p.transports[t];
            if (!x?.countedMessages) continue;
            const edge = (2 * x.clients * x.payloadPerMessage) / x.countedMessages;
            const floor = x.payloadPerMessage + x.floorOverheadPerMessage;
            if (x.bytesPerMessage < floor - edge)
              bad.push(`${t} at ${p.value} B: ${fmt(x.bytesPerMessage)} < ${fmt(floor)} − ${fmt(edge)}`);
          }
        }
        return {
          pass: bad.length === 0,
          detail: bad.length === 0 ? 'all at or above the floor' : `below: ${bad.join(', ')}`,
        };
      },
    },
    {
      text: 'overhead share falls as messages grow, on every transport',
      check: (s) => {
        const points = [...(s.sweep?.points ?? [])].sort((a, b) => a.value - b.value);
        const share = (p: SweepPoint, t: (typeof TRANSPORTS)[number]) => {
          const x = p.transports[t];
          return x && x.bytesPerMessage > 0 ? 1 - x.payloadPerMessage / x.bytesPerMessage : Number.NaN;
        };
        const first = points[0];
        const last = points.at(-1);
        if (!first || !last) return { pass: false, detail: 'no points' };
        const rows = TRANSPORTS.map((t) => ({ t, from: share(first, t), to: share(last, t) }));
        return {
          pass: rows.every((r) => r.to < r.from),
          detail: rows.map((r) => `${r.t} ${fmt(100 * r.from, 2)} % → ${fmt(100 * r.to, 2)} %`).join(', '),
        };
      },
    },
    {
      text: 'at 64 B, websocket overhead is under 10 % of the wire and long-poll over 50 %',
      check: (s) => {
        const p = [...(s.sweep?.points ?? [])].sort((a, b) => a.value - b.value)[0];
        const share = (t: 'websocket' | 'long-poll') => {
          const x = p?.transports[t];
          return x && x.bytesPerMessage > 0 ? 1 - x.payloadPerMessage / x.bytesPerMessage : Number.NaN;
        };
        return {
          pass: share('websocket') < 0.1 && share('long-poll') > 0.5,
          detail: `websocket ${fmt(100 * share('websocket'), 2)} %, long-poll ${fmt(100 * share('long-poll'), 2)} %`,
        };
      },
    },
    {
      text: 'with permessage-deflate, the WebSocket puts fewer bytes on the wire than without, at every size (repeated-letter padding: the best case)',
      check: (s) =>
        everyPoint(s, (p) => {
          const plain = p.transports.websocket;
          const deflate = p.groups?.find((g) => g.name === DEFLATE);
          return {
            pass: plain != null && deflate != null && deflate.bytesPerMessage < plain.bytesPerMessage,
            text: `${p.value} B: ${fmt(plain?.bytesPerMessage ?? Number.NaN)} → ${fmt(deflate?.bytesPerMessage ?? Number.NaN)}`,
          };
        }),
    },
    {
      text: 'Socket.IO costs more wire bytes per message than plain WebSocket at every size (its 42["feed",…] envelope and recovery offset)',
      check: (s) =>
        everyPoint(s, (p) => {
          const extra = (x: TransportSummary | undefined) => (x ? x.bytesPerMessage - x.payloadPerMessage : Number.NaN);
          const io = extra(p.transports['socket.io']);
          const ws = extra(p.transports.websocket);
          return { pass: io > ws, text: `${p.value} B: +${fmt(io)} vs +${fmt(ws)}` };
        }),
    },
  ],
});

/** Passes when the check passes at every point; the detail lists every point's figures. */
function everyPoint(s: Summary, check: (p: SweepPoint) => { pass: boolean; text: string }) {
  const rows = [...(s.sweep?.points ?? [])].sort((a, b) => a.value - b.value).map(check);
  return { pass: rows.length > 0 && rows.every((r) => r.pass), detail: rows.map((r) => r.text).join(', ') };
}
