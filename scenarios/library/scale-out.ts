/**
 * scale-out: one feed in Redis, 1, 2 and 4 lab instances behind HAProxy round-robin with no sticky
 * sessions, 10 clients of every transport through the balancer's one URL (docs/scale-out.md). Per
 * step: deliveries per instance, server CPU per delivery per instance, Redis CPU per publish, event
 * age; the stickiness probe (Engine.IO polling vs the lab's long polls); then a fault run: instance
 * i1 SIGKILLed at 6 s, Redis restarted empty at 14 s. The run is scenarios/scale-out/run.ts.
 */
import { defineScenario, type ExpectationDef } from '../define.js';
import type { ScaleOutResult } from '../scale-out/result.js';
import type { Summary } from '../summary.js';

function result(s: Summary): ScaleOutResult {
  if (!s.scaleOut) throw new Error('no scaleOut figures in the summary');
  return s.scaleOut;
}

const rows = <T>(record: Record<string, T>) => Object.entries(record);

/** The checks, shared with the short CI version (test/cluster/scale-out-scenario.test.ts). */
export const SCALE_OUT_EXPECTATIONS: ExpectationDef[] = [
  {
    text: 'an instance killed mid-run: every client resumed through another with 0 lost and 0 duplicated, on every transport',
    check: (s) => {
      const f = result(s).fault;
      const all = rows(f.perTransport);
      return {
        pass: all.length > 0 && all.every(([, r]) => r.lost === 0 && r.duplicates === 0 && r.delivered > 0),
        detail: all.map(([t, r]) => `${t} ${r.delivered} delivered, ${r.lost} lost, ${r.duplicates} dup`).join('; '),
      };
    },
  },
  {
    text: 'Redis restarted empty: every client saw exactly one reset, with reason epoch, and caught up with the new head',
    check: (s) => {
      const all = rows(result(s).fault.perTransport);
      return {
        pass: all.every(([, r]) => r.clientsWithOneEpochReset === r.clients && r.caughtUp === r.clients),
        detail: all
          .map(([t, r]) => `${t} ${r.clientsWithOneEpochReset}/${r.clients} one epoch reset, ${r.caughtUp} caught up`)
          .join('; '),
      };
    },
  },
  {
    text: 'after the kill, only the surviving instances served the clients',
    check: (s) => {
      const f = result(s).fault;
      const all = rows(f.perTransport);
      return {
        pass: all.every(([, r]) => r.servedAfterKill.length > 0 && !r.servedAfterKill.includes(f.killed)),
        detail: `${f.killed} killed; served after: ${all.map(([t, r]) => `${t} ${r.servedAfterKill.join('+')}`).join(', ')}`,
      };
    },
  },
  {
    text: 'no sticky sessions: Engine.IO polling sessions break ("Session ID unknown"), the lab’s long polls with a cursor do not',
    check: (s) => {
      const probe = result(s).steps.find((step) => step.stickiness)?.stickiness;
      if (!probe) return { pass: false, detail: 'no stickiness probe ran' };
      const sio = probe.socketIoPolling;
      const lab = probe.labLongPoll;
      return {
        pass: sio.sessionIdUnknown > 0 && lab.failed === 0 && lab.instancesSeen.length >= 2,
        detail: `Socket.IO: ${sio.sessionIdUnknown} of ${sio.requests} requests 400, ${sio.sessionsBroken}/${sio.sessions} sessions broken; lab: ${lab.failed} of ${lab.requests} failed, served by ${lab.instancesSeen.join(', ')}`,
      };
    },
  },
  {
    text: 'every step: nothing lost or duplicated, and every instance carried deliveries (one feed, no shared bottleneck)',
    check: (s) => {
      const steps = result(s).steps;
      const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
      return {
        pass:
          steps.length > 0 &&
          steps.every(
            (step) =>
              sum(step.lost) === 0 &&
              sum(step.duplicates) === 0 &&
              step.perInstance.length === step.instances &&
              step.perInstance.every((i) => i.deliveries > 0),
          ),
        detail: steps
          .map(
            (step) =>
              `${step.instances}: ${sum(step.lost)} lost, ${sum(step.duplicates)} dup, ${step.perInstance.map((i) => `${i.name} ${i.deliveries}`).join(' ')}`,
          )
          .join('; '),
      };
    },
  },
];

export default defineScenario({
  name: 'scale-out',
  description:
    'One Redis feed, 1/2/4 lab instances behind HAProxy without sticky sessions: deliveries and CPU per instance, Redis CPU per publish; an instance killed and Redis restarted mid-run: 0 lost, 0 duplicated, one epoch reset per client.',
  feed: { rate: 50, payloadBytes: 256 },
  clients: {
    'short-poll': { count: 10, pollIntervalMs: 500 },
    'long-poll': { count: 10, longPollTimeoutMs: 20_000 },
    sse: { count: 10 },
    websocket: { count: 10 },
    'socket.io': { count: 10 },
  },
  warmupMs: 3_000,
  durationMs: 10_000,
  scaleOut: {
    steps: [1, 2, 4],
    fault: { instances: 2, durationMs: 24_000, killAtMs: 6_000, redisRestartAtMs: 14_000 },
    stickiness: { sessions: 20, requestsPerSession: 4 },
  },
  expectations: SCALE_OUT_EXPECTATIONS,
});
