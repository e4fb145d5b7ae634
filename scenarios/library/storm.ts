/**
 * storm: the reconnect storm (issue 15; docs/reliability.md, "Storm"). 3 000 clients of every
 * transport, 4 WebSocket : 4 SSE : 1 long poll : 1 short poll : 1 Socket.IO, in 2 client processes
 * each behind its own proxy, dropped at once — the server SIGKILLed and a new process started on the
 * same port (a new epoch), then every connection reset by the proxies (the server lives on). The
 * clients back off with the lab's full jitter (client/backoff.ts), each member's draws seeded
 * (`--seed`). The run is scenarios/storm/run.ts → scripts/reliability/storm.ts; the short CI version
 * is test/storm.test.ts (150 clients, counted, never timed).
 */
import { defineScenario, type ExpectationDef } from '../define.js';
import type { DropReport } from '../storm/result.js';
import type { Summary } from '../summary.js';

type Fault = DropReport['fault'];
const LABEL: Record<Fault, string> = {
  kill: 'server SIGKILL + restart',
  proxy: 'proxies reset every connection',
};

function drop(s: Summary, fault: Fault): DropReport {
  const d = s.storm?.drops.find((x) => x.fault === fault);
  if (!d) throw new Error(`no ${fault} drop in this run`);
  return d;
}

const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(2)} s`);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The storm's checks for one drop, from the counts in summary.storm (shared with test/storm.test.ts). */
export function dropExpectations(fault: Fault, options: { timed: boolean } = { timed: true }): ExpectationDef[] {
  const label = LABEL[fault];
  const checks: ExpectationDef[] = [
    {
      text: `${label}: every client resumed by its cursor or explicitly reset, none silently gapped, none missing`,
      check: (s) => {
        const d = drop(s, fault);
        const clients = s.storm?.settings.clients ?? 0;
        return {
          pass:
            d.members === clients &&
            d.back === clients &&
            d.silentlyGapped === 0 &&
            d.notBack.length === 0 &&
            d.resumed + d.reset === d.members,
          detail: `${d.back}/${clients} back; resumed ${d.resumed}, reset ${d.reset}, silently gapped ${d.silentlyGapped} (${d.silentHoles} messages)${d.notBack.length > 0 ? `; not back: ${d.notBack.slice(0, 5).join(', ')}…` : ''}`,
        };
      },
    },
    {
      text: `${label}: nothing twice, nothing reordered`,
      check: (s) => {
        const d = drop(s, fault);
        return {
          pass: d.duplicates === 0 && d.reordered === 0,
          detail: `${d.duplicates} duplicates, ${d.reordered} reordered`,
        };
      },
    },
    fault === 'kill'
      ? {
          text: `${label}: a new process is a new epoch — every client was told (a reset notice)`,
          check: (s) => {
            const d = drop(s, fault);
            return {
              // Not every client notices the drop itself (a short poll between two polls asks the new
              // server next): what counts is that every one was told.
              pass: d.members > 0 && d.reset === d.members,
              detail: `${d.reset} reset of ${d.members}; ${d.noticed} noticed the drop by an error first`,
            };
          },
        }
      : {
          text: `${label}: the same server — every client resumed by its cursor`,
          check: (s) => {
            const d = drop(s, fault);
            return {
              pass: d.members > 0 && d.resumed === d.members && (d.connectionsReset ?? 0) > 0,
              detail: `${d.resumed} resumed of ${d.members}; ${d.connectionsReset ?? 0} connections reset`,
            };
          },
        },
  ];
  if (!options.timed) return checks;
  return [
    {
      text: `${label}: every client back within the limit (full-jitter backoff)`,
      check: (s) => {
        const d = drop(s, fault);
        const settings = s.storm?.settings;
        const clients = settings?.clients ?? 0;
        return {
          pass: d.members === clients && d.backWithinLimit === clients,
          detail: `${d.backWithinLimit}/${clients} within ${seconds(settings?.backWithinMs ?? null)} (p50 ${seconds(d.backMs.p50)}, p99 ${seconds(d.backMs.p99)}, last ${seconds(d.backMs.max)}${d.serverBackMs === null ? '' : `; the new server listened after ${seconds(d.serverBackMs)}`})`,
        };
      },
    },
    ...checks,
    {
      text: `${label}: server RSS within its bound (factor × steady state)`,
      check: (s) => {
        const d = drop(s, fault);
        const bound = s.storm?.rssBoundBytes ?? 0;
        return {
          pass: d.peakRssBytes > 0 && d.peakRssBytes <= bound,
          detail: `peak ${mib(d.peakRssBytes)}, bound ${mib(bound)} (${s.storm?.settings.rssFactor} × ${mib(s.storm?.steadyRssBytes ?? 0)})`,
        };
      },
    },
  ];
}

export default defineScenario({
  name: 'storm',
  description:
    'Reconnect storm: 3 000 mixed clients (4 WS : 4 SSE : 1 long poll : 1 short poll : 1 Socket.IO) dropped at once by a server SIGKILL + restart and by a proxy reset of every connection: all back within 20 s, each resumed or explicitly reset, none silently gapped, server RSS bounded; the recovery curve.',
  // The storm is about reconnecting, not throughput: a slow feed keeps the steady state cheap on 2
  // cores; "back" does not wait for a message (scripts/reliability/fleet.ts DropWatch).
  feed: { rate: 1, payloadBytes: 256 },
  // Each transport's share of the fleet (storm.clients is its size).
  clients: {
    websocket: { count: 4 },
    sse: { count: 4 },
    'long-poll': { count: 1 },
    'short-poll': { count: 1, pollIntervalMs: 1_000 },
    'socket.io': { count: 1 },
  },
  warmupMs: 0,
  // Unused by a storm (it follows each drop until every client is back); required of every scenario.
  durationMs: 40_000,
  storm: {
    clients: 3_000,
    processes: 2,
    faults: ['kill', 'proxy'],
    steadyMs: 5_000,
    observeMs: 40_000,
    settleMs: 2_000,
    backWithinMs: 20_000,
    rssFactor: 1.5,
    arrivalsPerSecond: 200,
  },
  expectations: [...dropExpectations('kill'), ...dropExpectations('proxy')],
});
