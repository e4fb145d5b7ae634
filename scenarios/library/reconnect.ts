/**
 * reconnect: forced drops. Every transport has a group that resumes from its cursor and a
 * naive group that comes back live-only (resume off). Three faults: an abrupt cut at the
 * proxies (both sides), a cut by the server (POST /api/clients/<id>/cut), and a server restart
 * (new process, new epoch: the history is gone). Loss, duplicates, resets and recovery time
 * per group are in `groups`; `transports.<name>` holds the resuming group.
 */
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { type ClientGroupDef, defineScenario } from '../define.js';
import { fmt, group } from './expect.js';

const RATE = 20;
const CLIENTS = 8;
const T_MS = 1_000;

const both = (t: TransportName): ClientGroupDef[] => {
  const extra = t === 'short-poll' ? { pollIntervalMs: T_MS } : {};
  return [
    { name: t, count: CLIENTS, resume: true, ...extra },
    { name: `naive-${t}`, count: CLIENTS, resume: false, ...extra },
  ];
};

/**
 * Socket.IO resumes twice over (server/transports/socket-io.ts): its connection-state recovery
 * within `socketIoRecoveryMs`, and the lab's cursor in the handshake `auth` when recovery gives up
 * (the restart). Its naive group withholds both.
 */
const STREAMING: TransportName[] = ['long-poll', 'sse', 'websocket', 'socket.io'];

export default defineScenario({
  name: 'reconnect',
  description: `Forced drops at ${RATE} msg/s: a cut at the proxies, a cut by the server, a server restart; ${CLIENTS} resuming and ${CLIENTS} naive (resume off) clients per transport, 30 s.`,
  feed: { rate: RATE, payloadBytes: 256 },
  clients: {
    'short-poll': both('short-poll'),
    'long-poll': both('long-poll'),
    sse: both('sse'),
    websocket: both('websocket'),
    'socket.io': both('socket.io'),
  },
  warmupMs: 2_000,
  durationMs: 30_000,
  faults: [
    { atMs: 6_000, kind: 'cut', via: 'proxy' },
    { atMs: 14_000, kind: 'cut', via: 'server' },
    { atMs: 22_000, kind: 'restart' },
  ],
  expectations: [
    {
      text: 'resuming long-poll, sse, websocket and socket.io clients lose nothing and see nothing twice, through all three faults',
      check: (s) => {
        const rows = STREAMING.map((t) => group(s, t));
        return {
          pass: rows.every((g) => g.lost === 0 && g.duplicates === 0 && g.delivered > 0),
          detail: rows.map((g) => `${g.name} ${g.delivered}/${g.expected}, dup ${g.duplicates}`).join('; '),
        };
      },
    },
    {
      text: "resuming short polls lose at most the old epoch's last interval (λ·T per client) at the restart",
      check: (s) => {
        const g = group(s, 'short-poll');
        const bound = g.clients * RATE * (T_MS / 1000);
        return {
          pass: g.lost <= bound && g.duplicates === 0,
          detail: `lost ${g.lost} (bound ${bound}), of which the clients could tell ${g.lostDetected ?? 0}`,
        };
      },
    },
    {
      text: 'every resuming client is told about the restart (one epoch reset each)',
      check: (s) => {
        const rows = TRANSPORTS.map((t) => group(s, t));
        return {
          pass: rows.every((g) => g.resets >= g.clients),
          detail: rows.map((g) => `${g.name} ${g.resets}`).join(', '),
        };
      },
    },
    {
      text: 'naive long-poll, sse, websocket and socket.io clients (resume off) lose messages',
      check: (s) => {
        const rows = STREAMING.map((t) => group(s, `naive-${t}`));
        return {
          pass: rows.every((g) => g.lost > 0),
          detail: rows
            .map((g) => `${g.name} lost ${g.lost} (${fmt((100 * g.lost) / Math.max(1, g.expected), 2)} %)`)
            .join('; '),
        };
      },
    },
  ],
});
