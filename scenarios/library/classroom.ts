/**
 * classroom: how large a class one lab serves on this machine (issue: "capacity for a real
 * class"). Each simulated student page holds what a real one holds (web/src/main.ts): five lanes
 * (short poll every 1 s, long poll, SSE, WebSocket, Socket.IO upgrading from Engine.IO polling),
 * one stats stream every 500 ms and a report every 2 s (scenarios/class-pages.ts); the instructor's
 * class view asks once a second. The lab runs in classroom mode (bound to loopback).
 *
 * Verdict per class size (scenarios/class-capacity.ts): every lane's p99 event age within 250 ms of
 * its transport's own floor (a short poll's is 0.99 · T), nothing lost, every report answered and
 * the stats streams kept up. The simulated pages run on the same two cores as the server, so the
 * largest passing class is a lower bound for the server alone; its CPU per page is reported so the
 * server's own share can be read apart.
 */
import { TRANSPORTS } from '../../contract/index.js';
import { defineScenario } from '../define.js';
import { noLossAtEveryPoint } from './expect.js';

const TARGET = 200;
const BUDGET_MS = 250;

export default defineScenario({
  name: 'classroom',
  description: `Classroom capacity: 25 → 300 student pages, each with the dashboard's five lanes, its stats stream (500 ms) and a report every 2 s, 2 msg/s of 128 B, 10 s measured per size: the largest class whose every lane stays within ${BUDGET_MS} ms of its floor at p99.`,
  feed: { rate: 2, payloadBytes: 128 },
  clients: Object.fromEntries(TRANSPORTS.map((t) => [t, { count: 25 }])),
  warmupMs: 3_000,
  durationMs: 10_000,
  classroom: { budgetMs: BUDGET_MS, statsIntervalMs: 500 },
  sweep: {
    parameter: 'student pages',
    unit: 'pages',
    values: [25, 50, 100, 200, 300],
    apply: (spec, n) => ({
      ...spec,
      // A class arrives over a couple of seconds, not in one instant; short polls over one interval.
      groups: spec.groups.map((g) => ({
        ...g,
        count: n,
        startSpreadMs: g.transport === 'short-poll' ? g.pollIntervalMs : 2_000,
      })),
    }),
  },
  expectations: [
    noLossAtEveryPoint(),
    {
      text: `a class of ${TARGET} pages stays within budget (every lane's p99 within ${BUDGET_MS} ms of its floor)`,
      check: (s) => {
        const verdict = s.classCapacity?.verdicts.find((v) => v.pages === TARGET);
        return {
          pass: verdict?.pass === true,
          detail:
            verdict === undefined
              ? `no run at ${TARGET} pages`
              : verdict.pass
                ? `largest class within budget: ${s.classCapacity?.largestClass ?? 'none'} of ${s.classCapacity?.triedUpTo} tried`
                : verdict.reasons.join('; '),
        };
      },
    },
    {
      text: 'every page was served: reports answered and stats streams kept up at every size',
      check: (s) => {
        const bad = (s.classCapacity?.verdicts ?? []).filter(
          (v) => v.pageLoad.reportFailures > 0 || v.pageLoad.statsEvents < 0.9 * v.pageLoad.statsEventsExpected,
        );
        return {
          pass: (s.classCapacity?.verdicts.length ?? 0) > 0 && bad.length === 0,
          detail: (s.classCapacity?.verdicts ?? [])
            .map(
              (v) =>
                `${v.pages}: ${v.pageLoad.reports} reports (${v.pageLoad.reportFailures} failed), stats ${v.pageLoad.statsEvents}/${v.pageLoad.statsEventsExpected}`,
            )
            .join(', '),
        };
      },
    },
  ],
});
