/**
 * network-recovery: how long each transport takes to deliver again after its connections are
 * cut, on each network. A sweep cannot have faults (each point is its own run), so this is a
 * sister of network-profiles: one run, one client group per transport and profile (named
 * `<transport>.<profile>`, each behind its own shaping proxy), 10 msg/s (Poisson), and one abrupt
 * cut at every proxy in the middle of the window. Recovery = from the cut to the receipt of the
 * first message published after it (scenarios/clients/group.ts): the client's own retry delay (its
 * backoff; a short poll's next tick), a reconnect's round trips (TCP, the request, the resume),
 * and on average half an interarrival gap (50 ms at 10 msg/s). A mean over the group's clients.
 */
import type { TransportName } from '../../contract/index.js';
import { findNetwork } from '../../contract/networks.js';
import { type ClientGroupDef, defineScenario } from '../define.js';
import type { GroupSummary, Summary } from '../summary.js';
import { fmt } from './expect.js';

const RATE = 10;
const CLIENTS = 2;
const T_MS = 1_000;
const CUT_AT_MS = 8_000;
const TRANSPORTS: readonly TransportName[] = ['short-poll', 'long-poll', 'sse', 'websocket'];
const PROFILES = ['loopback', 'broadband', 'lossy-wifi', '4g', '3g'] as const;
const STREAMING: readonly TransportName[] = ['long-poll', 'sse', 'websocket'];

const groupName = (t: TransportName, profile: string) => `${t}.${profile}`;

function groupsOf(t: TransportName): ClientGroupDef[] {
  const extra = t === 'short-poll' ? { pollIntervalMs: T_MS } : {};
  return PROFILES.map((profile) => ({ name: groupName(t, profile), count: CLIENTS, network: profile, ...extra }));
}

function groupAt(s: Summary, t: TransportName, profile: string): GroupSummary | undefined {
  return s.groups?.find((g) => g.name === groupName(t, profile));
}

export default defineScenario({
  name: 'network-recovery',
  description: `An abrupt cut at every proxy at ${RATE} msg/s (Poisson): time to deliver again per transport on loopback, broadband, lossy-wifi, 4g and 3g; ${CLIENTS} resuming clients per transport and profile.`,
  feed: { rate: RATE, payloadBytes: 256, arrivals: 'poisson' },
  clients: {
    'short-poll': groupsOf('short-poll'),
    'long-poll': groupsOf('long-poll'),
    sse: groupsOf('sse'),
    websocket: groupsOf('websocket'),
  },
  warmupMs: 2_000,
  durationMs: 16_000,
  faults: [{ atMs: CUT_AT_MS, kind: 'cut', via: 'proxy' }],
  expectations: [
    {
      text: 'resuming long-poll, SSE and WebSocket clients lose nothing through the cut, on every network but the lossy one too',
      check: (s) => {
        const rows = STREAMING.flatMap((t) => PROFILES.map((p) => ({ name: groupName(t, p), g: groupAt(s, t, p) })));
        const bad = rows.filter((r) => !r.g || r.g.lost > 0 || r.g.duplicates > 0 || r.g.delivered === 0);
        return {
          pass: bad.length === 0,
          detail: bad.length === 0 ? `${rows.length} groups` : bad.map((r) => `${r.name} lost ${r.g?.lost}`).join(', '),
        };
      },
    },
    ...TRANSPORTS.map((t) => ({
      text: `${t}: time to recover after the cut, per profile (every group recovered)`,
      check: (s: Summary) => {
        const rows = PROFILES.map((p) => ({ p, ms: groupAt(s, t, p)?.recoveryMs }));
        return {
          pass: rows.every((r) => r.ms !== undefined),
          detail: rows.map((r) => `${r.p} ${r.ms === undefined ? 'never' : `${fmt(r.ms)} ms`}`).join(', '),
        };
      },
    })),
    {
      text: 'a reconnect costs round trips: on 3g no transport recovers in less than one RTT (TCP handshake, then the request)',
      check: (s) => {
        const rtt = findNetwork('3g')?.rttMs ?? Number.NaN;
        const rows = TRANSPORTS.map((t) => ({
          t,
          loopback: groupAt(s, t, 'loopback')?.recoveryMs ?? Number.NaN,
          g3: groupAt(s, t, '3g')?.recoveryMs ?? Number.NaN,
        }));
        return {
          pass: rows.every((r) => r.g3 >= rtt),
          detail: `RTT ${rtt} ms; loopback → 3g: ${rows.map((r) => `${r.t} ${fmt(r.loopback)} → ${fmt(r.g3)} ms`).join(', ')}`,
        };
      },
    },
  ],
});
