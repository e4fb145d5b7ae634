/**
 * intermediaries: a quiet feed (one message every 30 s) through the two middleboxes of
 * contract/networks.ts, every transport behind each.
 *
 * - idle-cut-proxy forgets a connection quiet for 20 s, telling neither end. What keeps a
 *   connection from being quiet is its heartbeat: SSE's `:` comment every 15 s saves it; the
 *   WebSocket ping every 25 s does not, and since the client never hears of the cut it waits
 *   forever (a client needs its own watchdog); a long poll held 25 s is cut mid-poll and saved
 *   only by its request timeout, one held 15 s is never quiet long enough.
 * - buffering-proxy holds response bodies until 8 KiB or their end: every poll answer ends, so
 *   polls pass; the SSE stream never ends, so its events wait for 8 KiB (~27 messages here:
 *   most of 15 minutes); a WebSocket is a tunnel after its 101, so it passes.
 */
import { resolveNetwork } from '../../contract/networks.js';
import { type ClientGroupDef, defineScenario } from '../define.js';
import type { GroupSummary, Summary } from '../summary.js';
import { fmt, group } from './expect.js';

const CLIENTS = 3;
const IDLE = 'idle-cut-proxy';
const BUFFERING = 'buffering-proxy';
const idleS = resolveNetwork(IDLE).idleTimeoutS;

const behind = (network: string, prefix: string, extra: Partial<ClientGroupDef> = {}): ClientGroupDef => ({
  name: prefix,
  count: CLIENTS,
  network,
  ...extra,
});

const line = (g: GroupSummary) =>
  `${g.name} ${g.delivered}/${g.expected}${g.network?.shaper.idleCuts ? `, ${g.network.shaper.idleCuts} idle cuts` : ''}${g.clientErrors ? `, errors ${JSON.stringify(g.clientErrors)}` : ''}`;

const delivered = (s: Summary, name: string) => {
  const g = group(s, name);
  return { g, pass: g.lost === 0 && g.delivered > 0 };
};

export default defineScenario({
  name: 'intermediaries',
  description: `A quiet feed (one message every 30 s) behind an idle-cutting middlebox (${idleS} s) and a buffering proxy (8 KiB), every transport behind each, ${CLIENTS} clients per group, 100 s.`,
  feed: { rate: 1 / 30, payloadBytes: 256, arrivals: 'even' },
  clients: {
    'short-poll': [behind(IDLE, 'idle-short-poll'), behind(BUFFERING, 'buffered-short-poll')],
    'long-poll': [
      behind(IDLE, 'idle-long-poll-25s', { longPollTimeoutMs: 25_000 }),
      behind(IDLE, 'idle-long-poll-15s', { longPollTimeoutMs: 15_000 }),
      behind(BUFFERING, 'buffered-long-poll'),
    ],
    sse: [behind(IDLE, 'idle-sse'), behind(BUFFERING, 'buffered-sse')],
    websocket: [behind(IDLE, 'idle-websocket'), behind(BUFFERING, 'buffered-websocket')],
  },
  warmupMs: 2_000,
  durationMs: 100_000,
  expectations: [
    {
      text: `idle-cut: SSE's 15 s heartbeat keeps it under the ${idleS} s idle timeout: nothing lost, no cut`,
      check: (s) => {
        const { g, pass } = delivered(s, 'idle-sse');
        return { pass: pass && (g.network?.shaper.idleCuts ?? 0) === 0, detail: line(g) };
      },
    },
    {
      text: `idle-cut: WebSocket's 25 s ping is longer than ${idleS} s: its connections are cut silently and the clients, never told, lose the messages after it`,
      check: (s) => {
        const g = group(s, 'idle-websocket');
        return { pass: (g.network?.shaper.idleCuts ?? 0) > 0 && g.lost > 0, detail: line(g) };
      },
    },
    {
      text: `idle-cut: a long poll held 25 s is cut mid-poll and saved by its request timeout (late, nothing lost); held 15 s it is never cut`,
      check: (s) => {
        const long = group(s, 'idle-long-poll-25s');
        const short = group(s, 'idle-long-poll-15s');
        return {
          pass:
            (long.network?.shaper.idleCuts ?? 0) > 0 &&
            long.lost === 0 &&
            short.lost === 0 &&
            (short.network?.shaper.idleCuts ?? 0) === 0,
          detail: `${line(long)} (p99 ${fmt(long.latencyMs.p99)} ms); ${line(short)}`,
        };
      },
    },
    {
      text: 'buffering: SSE freezes (its events wait for 8 KiB that a quiet feed never fills) while WebSocket and both polls get everything',
      check: (s) => {
        const sse = group(s, 'buffered-sse');
        const others = ['buffered-websocket', 'buffered-long-poll', 'buffered-short-poll'].map((n) => delivered(s, n));
        return {
          pass: sse.delivered === 0 && sse.expected > 0 && others.every((o) => o.pass),
          detail: [line(sse), ...others.map((o) => line(o.g))].join('; '),
        };
      },
    },
  ],
});
