/**
 * What the storm scenario (scenarios/storm/run.ts → scripts/reliability/storm.ts) adds to
 * summary.json, as TypeBox schemas (scenarios/summary.ts puts it under `storm`, so
 * scenarios/validate.ts checks it with the rest): the run's settings, the samples taken every
 * 250 ms (clients working, server RSS and fds, the client processes' own loop delay and CPU), and
 * per drop the recovery curve, the audits per transport and the criteria.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Bool, ByTransport, Count, CountOrNull, List, Num, NumOrNull, Obj, Str } from '../summary-leaves.js';

const Fault = Type.Union([Type.Literal('kill'), Type.Literal('proxy')], { expected: '"kill" or "proxy"' });

export const StormSettingsSchema = Obj({
  clients: Count,
  processes: Count,
  /** Feed rate, msg/s (the server's ticker, running from its start). */
  rate: Num,
  /** Seeds each member's backoff draws: the same seed replays them (`--seed`). */
  seed: Type.Integer({ expected: 'an integer' }),
  faults: List(Fault),
  steadyMs: Num,
  observeMs: Num,
  settleMs: Num,
  backWithinMs: Num,
  rssFactor: Num,
  pollIntervalMs: Num,
  arrivalsPerSecond: Num,
  /** Each transport's share of the fleet (weights). */
  mix: ByTransport(Num),
});
export type StormSettings = Static<typeof StormSettingsSchema>;

export const StormSampleSchema = Obj({
  /** Seconds since the run started, at the client processes' own reading (the latest of them). */
  t: Num,
  working: Count,
  byTransport: ByTransport(Count),
  serverRssBytes: CountOrNull,
  serverFds: CountOrNull,
  /** The worst client process's loop delay p99 since its last sample, ms. */
  clientLoopP99Ms: Num,
  /** The client processes' CPU since their last sample, % of one core (all processes summed). */
  clientCpuPercent: Num,
  load1: Num,
});
export type StormSample = Static<typeof StormSampleSchema>;

export const DropTransportSchema = Obj({
  members: Count,
  noticed: Count,
  notBack: List(Str),
  resumed: Count,
  reset: Count,
  silentlyGapped: Count,
  silentHoles: Count,
  duplicates: Count,
  reordered: Count,
  /** null when no member of the transport came back. */
  backMsP99: NumOrNull,
});

const Percentiles = Obj({ p50: NumOrNull, p90: NumOrNull, p99: NumOrNull, max: NumOrNull });

export const DropReportSchema = Obj({
  fault: Fault,
  /** Seconds since the run started. */
  atS: Num,
  /** kill: when the new server listened, ms after the drop. */
  serverBackMs: NumOrNull,
  /** proxy: how many connections the proxies reset. */
  connectionsReset: CountOrNull,
  members: Count,
  noticed: Count,
  back: Count,
  backWithinLimit: Count,
  /** Each member's time back, ms after the drop (null: nobody came back). */
  backMs: Percentiles,
  resumed: Count,
  reset: Count,
  silentlyGapped: Count,
  silentHoles: Count,
  duplicates: Count,
  reordered: Count,
  /** The first 20 members not back. */
  notBack: List(Str),
  byTransport: ByTransport(DropTransportSchema),
  peakRssBytes: Count,
  /** Working clients over time, seconds since the drop: the recovery curve. */
  curve: List(Obj({ x: Num, y: Count })),
  criteria: List(Obj({ text: Str, pass: Bool, detail: Str })),
});
export type DropReport = Static<typeof DropReportSchema>;

export const StormSchema = Obj({
  settings: StormSettingsSchema,
  /** `uptime`'s load averages (1, 5, 15 min) when the run started: other work on the machine. */
  loadAtStart: List(Num),
  /** The soft and hard `ulimit -n` (null: unlimited). */
  fdLimits: Obj({ soft: NumOrNull, hard: NumOrNull, clientProcessNeeds: Count, serverNeeds: Count, raised: Bool }),
  steadyRssBytes: Count,
  rssBoundBytes: Num,
  /** Messages the fleet's audits counted over the whole run (the server CPU per delivery divides by it). */
  delivered: Count,
  samples: List(StormSampleSchema),
  drops: List(DropReportSchema),
  passed: Bool,
});
export type StormFigures = Static<typeof StormSchema>;
