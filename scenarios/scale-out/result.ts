/**
 * What the scale-out scenario (scenarios/scale-out/run.ts) adds to summary.json, as TypeBox schemas
 * (scenarios/summary.ts puts it under `scaleOut`, so scenarios/validate.ts checks it with the rest).
 * Per step: deliveries and their cost per instance, Redis CPU per publish, event age per transport;
 * the fault run: loss, duplicates and resets per transport across an instance kill and a Redis
 * restart; the stickiness probe: Engine.IO polling vs the lab's long polls without sticky sessions.
 */
import { type Static, Type } from '@sinclair/typebox';
import { ByTransport, Count, List, Num, NumOrNull, Obj, Str } from '../summary-leaves.js';

/** What a scale-out scenario writes (its schema: scenarios/definition-schema.ts). */
export type { ScaleOutDef } from '../definition-schema.js';

export const StickinessSchema = Obj({
  instances: Count,
  /** Engine.IO polling sessions through the balancer: each one's later requests, answered by whichever instance. */
  socketIoPolling: Obj({
    sessions: Count,
    requests: Count,
    /** Answers `400 {"code":1,"message":"Session ID unknown"}`. */
    sessionIdUnknown: Count,
    /** Sessions that met at least one of them (a real client gives up on the first). */
    sessionsBroken: Count,
  }),
  /** As many lab long polls with a cursor, through the same balancer. */
  labLongPoll: Obj({ requests: Count, failed: Count, instancesSeen: List(Str) }),
});
export type StickinessResult = Static<typeof StickinessSchema>;

export const StepSchema = Obj({
  instances: Count,
  windowS: Num,
  /** Messages published in the window (the feed's head moved by this much). */
  published: Count,
  /** Messages the instances handed to clients in the window (their /api/stats, every transport). */
  deliveries: Count,
  deliveriesPerS: Num,
  /** Each instance: its deliveries, its CPU (/proc utime+stime) and the CPU per delivery, µs. */
  perInstance: List(Obj({ name: Str, deliveries: Count, cpuMs: Num, cpuUsPerDelivery: NumOrNull })),
  redisCpuMs: Num,
  redisCpuUsPerPublished: NumOrNull,
  /** Event age (receipt − the message's ts, one host, one clock), ms, over the window. */
  latency: ByTransport(Obj({ p50: Num, p99: Num, count: Count })),
  lost: ByTransport(Count),
  duplicates: ByTransport(Count),
  /** Measured in the first step with two instances or more (null elsewhere). */
  stickiness: Type.Union([StickinessSchema, Type.Null()], { expected: 'the stickiness probe or null' }),
});
export type StepResult = Static<typeof StepSchema>;

export const FaultSchema = Obj({
  instances: Count,
  killed: Str,
  killAtS: Num,
  redisRestartAtS: Num,
  perTransport: ByTransport(
    Obj({
      clients: Count,
      delivered: Count,
      lost: Count,
      duplicates: Count,
      epochResets: Count,
      /** Clients that saw exactly one reset, of reason `epoch` (the Redis restart). */
      clientsWithOneEpochReset: Count,
      /** Clients at the final head of the final epoch when the run ended. */
      caughtUp: Count,
      /** Instances that served this transport's clients after the kill, and each client's at the end. */
      servedAfterKill: List(Str),
    }),
  ),
  /** Deliveries per transport per `bucketMs`, for the timeline chart. */
  timeline: Obj({ bucketMs: Num, counts: ByTransport(List(Count)) }),
});
export type FaultResult = Static<typeof FaultSchema>;

export const ScaleOutSchema = Obj({
  /** The run's settings: the scenario's `scaleOut`, its clients per transport, feed and windows. */
  settings: Obj({
    steps: List(Count),
    perTransport: ByTransport(Count),
    rate: Num,
    payloadBytes: Count,
    warmupMs: Num,
    windowMs: Num,
    fault: Obj({ instances: Count, durationMs: Num, killAtMs: Num, redisRestartAtMs: Num }),
    stickiness: Obj({ sessions: Count, requestsPerSession: Count }),
  }),
  cores: Count,
  /** `uptime`'s load averages (1, 5, 15 min) when the run started: other work on the machine. */
  loadAverageAtStart: List(Num),
  note: Str,
  socketIo: Str,
  steps: List(StepSchema),
  fault: FaultSchema,
});
export type ScaleOutResult = Static<typeof ScaleOutSchema>;
