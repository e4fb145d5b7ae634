/**
 * What a scenario file writes, as TypeBox schemas: the types (`ScenarioDef`, `ClientGroupDef`, …)
 * are their `Static`, and scenarios/define.ts checks every definition against the same schemas
 * when it is loaded (`firstProblem`). Each leaf carries `must`, the words of its error
 * ("clients.sse.count: must be an integer within 1…5000, got 0"); an object that refuses unknown
 * keys carries `unknown`, and its error lists the valid ones. Rules that span fields (a poll
 * interval only on short-poll clients, the ticker's payload floor, a fault within the window) are
 * define.ts's code after this check.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import {
  FEED_LIMITS,
  FEED_MODES,
  LONG_POLL_TIMEOUT,
  MIN_MESSAGE_BYTES,
  TRANSPORTS,
  type TransportName,
  WS_SUBPROTOCOLS,
} from '../contract/index.js';
import type { RunSpec } from './define.js';
import type { Summary, SweepPoint } from './summary.js';

/**
 * Every client costs the runner three sockets (client, proxy in, proxy out) and ulimit -n is
 * 20 000 here: 5 000 clients at once leaves room for the rest.
 */
export const MAX_CLIENTS_AT_ONCE = 5_000;
/** A measurement window longer than this is not "modest" on a shared box. */
export const MAX_DURATION_MS = 10 * 60_000;
export const NAME_PATTERN = '^[a-z0-9]+(-[a-z0-9]+)*$';
export const GROUP_PATTERN = '^[0-9A-Za-z_.-]{1,40}$';

/* ------------------------------------------------------------------ leaves */

export const intIn = (min: number, max: number) =>
  Type.Integer({ minimum: min, maximum: max, must: `must be an integer within ${min}…${max}` });
const Bool = Type.Boolean({ must: 'must be true or false' });
/** One of `values` (its type the union of their literals). */
const oneOf = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      {
        must: `must be ${values
          .map((v) => JSON.stringify(v))
          .join(', ')
          .replace(/, ([^,]*)$/, ' or $1')}`,
      },
    ),
  );
/** A function (checked only as one: its arguments and result are its type's business). */
const Fn = <F>(must: string) => Type.Unsafe<F>(Type.Function([], Type.Unknown(), { must }));
/** An object that refuses keys it does not know, naming the ones it does. */
const Closed = <P extends Record<string, TSchema>>(properties: P, what: string, unknown = 'field') =>
  Type.Object(properties, { additionalProperties: false, unknown, must: `must be ${what}` });

export const RateSchema = Type.Number({
  exclusiveMinimum: 0,
  maximum: FEED_LIMITS.maxRate,
  must: `must be a number of messages/s above 0 and at most ${FEED_LIMITS.maxRate}`,
});
export const DurationSchema = Type.Number({
  exclusiveMinimum: 0,
  maximum: MAX_DURATION_MS,
  must: `must be a number of ms above 0 and at most ${MAX_DURATION_MS}`,
});
export const MsSchema = Type.Number({ minimum: 0, must: 'must be a number of ms ≥ 0' });
export const ClientCountSchema = intIn(1, MAX_CLIENTS_AT_ONCE);
/** A network profile name, maybe with parameters (`3g?rttMs=300`): contract/networks.ts resolves it. */
export const NetworkSpecSchema = Type.String({ must: 'must be a network profile name' });

/* ------------------------------------------------------------------ the definition */

export const ARRIVALS = ['ticker', 'even', 'poisson'] as const;
export type Arrivals = (typeof ARRIVALS)[number];

const payloadBytes = (min: number, why: string) =>
  Type.Integer({
    minimum: min,
    maximum: FEED_LIMITS.maxPayloadBytes,
    must: `must be an integer within ${min}…${FEED_LIMITS.maxPayloadBytes} (${why})`,
  });
const feedFields = {
  /** Messages per second. Fractions allowed: 0.2 = one every 5 s on average. */
  rate: RateSchema,
  /** The ticker's pattern (default steady). Ignored for poisson arrivals. */
  mode: Type.Optional(oneOf(FEED_MODES)),
  /** Messages the server keeps for resume (default: the server's, 10 000). */
  retention: Type.Optional(intIn(1, 1_000_000)),
};
/**
 * The feed, one of two kinds. `arrivals: "ticker"` (the default): the server's own ticker
 * publishes, evenly spaced, messages of `payloadBytes` (the whole message JSON, the server's
 * setting) down to the ticker's floor (it pads `{kind, n, pad}`, ~30 B). Otherwise the runner
 * publishes, through `POST /api/publish`: `poisson` at exponentially distributed intervals (the
 * arrivals the polling model's e^(−λT) assumes), `even` evenly spaced, `data` a bare string down
 * to the envelope.
 */
export const FeedDefSchema = Type.Union(
  [
    Closed(
      {
        ...feedFields,
        payloadBytes: payloadBytes(
          FEED_LIMITS.minPayloadBytes,
          'the ticker\'s floor; arrivals "even" publish smaller messages',
        ),
        arrivals: Type.Optional(Type.Literal('ticker', { must: 'must be "ticker", "even" or "poisson"' })),
      },
      '{rate, payloadBytes, …}',
    ),
    Closed(
      {
        ...feedFields,
        payloadBytes: payloadBytes(MIN_MESSAGE_BYTES, 'the envelope {epoch, seq, ts, data} alone is ~60 B'),
        arrivals: oneOf(['even', 'poisson'] as const),
      },
      '{rate, payloadBytes, arrivals, …}',
    ),
  ],
  { must: 'is required: {rate, payloadBytes}' },
);
export type FeedDef = Static<typeof FeedDefSchema>;

export const ClientGroupDefSchema = Closed(
  {
    /** Names the group in ids (`<name>-<n>`) and in the summary. Default: the transport's name. */
    name: Type.Optional(Type.String({ pattern: GROUP_PATTERN, must: `must match ${GROUP_PATTERN}` })),
    count: ClientCountSchema,
    /** On a reconnect, send the cursor (default true) or come back live-only. */
    resume: Type.Optional(Bool),
    /** short-poll only: pause between two polls, ms (default 1000). */
    pollIntervalMs: Type.Optional(intIn(10, 60_000)),
    /** long-poll only: how long the server holds a poll, ms (default 25 000). */
    longPollTimeoutMs: Type.Optional(intIn(LONG_POLL_TIMEOUT.min, LONG_POLL_TIMEOUT.max)),
    /** websocket only: the subprotocol to offer (default: none, so JSON frames). */
    subprotocol: Type.Optional(oneOf(WS_SUBPROTOCOLS)),
    /** websocket only: ask for permessage-deflate (`compress=1`). Default false. */
    compress: Type.Optional(Bool),
    /** socket.io only: Engine.IO's transports (default `['polling', 'websocket']`: poll, then upgrade). */
    socketIoTransports: Type.Optional(
      Type.Array(oneOf(['polling', 'websocket'] as const), {
        minItems: 1,
        uniqueItems: true,
        must: 'must list "polling" and/or "websocket" once each',
      }),
    ),
    /**
     * The network between these clients and the server (contract/networks.ts): a profile name, or
     * a name with parameters (`3g?rttMs=300`). Default `loopback` (the proxy adds nothing).
     */
    network: Type.Optional(NetworkSpecSchema),
    /**
     * Start the clients spread evenly over this long, ms, so polls do not all fire in step.
     * Default: one poll interval for short-poll, else 1 ms per client (at most 2 s).
     */
    startSpreadMs: Type.Optional(MsSchema),
  },
  '{count, …}',
);
export type ClientGroupDef = Static<typeof ClientGroupDefSchema>;

const Groups = Type.Union([ClientGroupDefSchema, Type.Array(ClientGroupDefSchema, { minItems: 1 })], {
  must: 'must be a group {count, …} or a list of groups',
});
const OptionalGroups = Type.Optional(Groups);
export const ClientsDefSchema = Type.Object(
  Object.fromEntries(TRANSPORTS.map((t) => [t, OptionalGroups])) as Record<TransportName, typeof OptionalGroups>,
  { additionalProperties: false, unknown: 'transport', must: `must be {${TRANSPORTS.join(', ')}}` },
);
export type ClientsDef = Static<typeof ClientsDefSchema>;

const atMs = MsSchema;
const kind = <const K extends string>(name: K) => Type.Literal(name, { must: 'must be "cut" or "restart"' });
export const FaultDefSchema = Type.Union(
  [
    /** Drop connections abruptly: at the runner's TCP proxies (both sides) or by the server (`POST /api/clients/<id>/cut`). */
    Closed(
      {
        atMs,
        kind: kind('cut'),
        via: oneOf(['proxy', 'server'] as const),
        groups: Type.Optional(Type.Array(Type.String({ must: 'must name a client group' }))),
      },
      '{atMs, kind: "cut", via, groups?}',
    ),
    /** Stop the server (SIGTERM) and start a new one: a new epoch, the history is gone. */
    Closed({ atMs, kind: kind('restart') }, '{atMs, kind: "restart"}'),
  ],
  { must: 'must be {atMs, kind, …}' },
);
export type FaultDef = Static<typeof FaultDefSchema>;

export const ExpectationDefSchema = Closed(
  {
    text: Type.String({ minLength: 1, must: 'must be a sentence' }),
    check: Fn<(summary: Summary) => boolean | { pass: boolean; detail?: string }>('must be a function of the summary'),
  },
  '{text, check}',
);
export type ExpectationDef = Static<typeof ExpectationDefSchema>;

export const CapacityDefSchema = Closed(
  {
    /** Seconds per autocannon run. */
    durationS: intIn(1, 60),
    connections: intIn(1, 200),
    /** Requests in flight per connection (default 1: browsers do not pipeline). */
    pipelining: Type.Optional(intIn(1, 100)),
    /** Runs of lab then baseline, alternated, averaged (default 2): drift on a noisy box hits both. */
    rounds: Type.Optional(intIn(1, 10)),
  },
  '{durationS, connections, …}',
);
export type CapacityDef = Static<typeof CapacityDefSchema>;

/**
 * A class of student pages beside the lanes (scenarios/class-pages.ts): the lab runs in classroom
 * mode, and page i's lanes are the i-th client of every group (so every group has the same count,
 * one group per transport).
 */
export const ClassroomDefSchema = Closed(
  {
    /** The stats stream's interval, ms (default the dashboard's, 500). */
    statsIntervalMs: Type.Optional(intIn(100, 10_000)),
    /** A lane's p99 event age may exceed its transport's own floor (a short poll's interval) by at most this, ms. */
    budgetMs: intIn(1, 60_000),
  },
  '{budgetMs, …}',
);
export type ClassroomDef = Static<typeof ClassroomDefSchema>;

/** The protocol comparison's passes (scenarios/h1-vs-h2/compare.ts). */
export const ProtocolsDefSchema = Closed(
  {
    /** Messages per run in the accounting pass. */
    messages: intIn(2, 10_000),
    /** Messages per run in the CPU pass, and publishes in each publish-only baseline. */
    cpuMessages: intIn(1, 100_000),
    /** h2load requests per capacity target. */
    capacityRequests: intIn(1, 1_000_000),
  },
  '{messages, cpuMessages, capacityRequests}',
);
export type ProtocolsSpec = Static<typeof ProtocolsDefSchema>;

/**
 * Scale-out (scenarios/scale-out/run.ts) instead of one lab under test: a Redis feed, 1…N lab
 * instances behind HAProxy without stickiness, the scenario's clients (one group per transport)
 * through the balancer, `warmupMs` then a `durationMs` window per step; then a fault run.
 */
export const ScaleOutDefSchema = Closed(
  {
    /** Instances behind the balancer, one measured step each, e.g. [1, 2, 4]. */
    steps: Type.Array(intIn(1, 8), { minItems: 1, must: 'needs at least one instance count' }),
    /** The fault run: `instances` behind the balancer; instance i1 is SIGKILLed at `killAtMs`, Redis restarts empty at `redisRestartAtMs`. */
    fault: Closed(
      {
        // One instance is killed: another must be left to take its clients.
        instances: intIn(2, 8),
        durationMs: DurationSchema,
        killAtMs: Type.Number({ exclusiveMinimum: 0, must: 'must be a number of ms above 0' }),
        redisRestartAtMs: Type.Number({ exclusiveMinimum: 0, must: 'must be a number of ms above 0' }),
      },
      '{instances, durationMs, killAtMs, redisRestartAtMs}',
    ),
    /** The stickiness probe, in the first step with two instances or more. */
    stickiness: Closed({ sessions: intIn(1, 200), requestsPerSession: intIn(1, 20) }, '{sessions, requestsPerSession}'),
  },
  '{steps, fault, stickiness}',
);
export type ScaleOutDef = Static<typeof ScaleOutDefSchema>;

/**
 * The reconnect storm (scenarios/storm/run.ts → scripts/reliability/storm.ts) instead of one lab under
 * test: `clients` mixed clients in `processes` child processes, each process behind its own proxy;
 * the scenario's `clients` then give each transport's SHARE of the fleet (a count of 4 = 4 parts),
 * `feed.rate` the ticker's rate; every client working, `steadyMs` steady, then each fault in turn:
 * `kill` (server SIGKILL + a new process on the same port) and `proxy` (every connection reset).
 */
export const StormDefSchema = Closed(
  {
    clients: intIn(5, 20_000),
    processes: intIn(1, 16),
    faults: Type.Array(oneOf(['kill', 'proxy'] as const), {
      minItems: 1,
      uniqueItems: true,
      must: 'must list "kill" and/or "proxy" once each',
    }),
    /** After every client works, this long steady before the first drop (and between drops), ms. */
    steadyMs: MsSchema,
    /** Follow each drop at most this long, ms (less once every client is back, + settleMs). */
    observeMs: DurationSchema,
    settleMs: MsSchema,
    /** The criterion: every client back within this, ms. */
    backWithinMs: DurationSchema,
    /** The server's memory bound: this many times its steady-state RSS. */
    rssFactor: Type.Number({ minimum: 1, must: 'must be a factor ≥ 1' }),
    /** How fast the clients arrive before the storm, all processes together, per second. */
    arrivalsPerSecond: intIn(1, 5_000),
  },
  '{clients, processes, faults, steadyMs, observeMs, settleMs, backWithinMs, rssFactor, arrivalsPerSecond}',
);
export type StormDef = Static<typeof StormDefSchema>;

/** `--reconnect-wait`: every reconnect's first wait, ms. */
export const ReconnectWaitSchema = intIn(0, 60_000);

export const SweepDefSchema = Closed(
  {
    parameter: Type.String({ minLength: 1, must: 'must name the swept parameter' }),
    unit: Type.String({ must: 'must be a unit (may be empty)' }),
    values: Type.Array(Type.Number({ must: 'must be a finite number' }), {
      minItems: 1,
      must: 'needs at least one value',
    }),
    /** The run at one swept value, from the scenario's own. */
    apply: Fn<(spec: RunSpec, value: number) => RunSpec>('must be a function (spec, value) → spec'),
    /**
     * The model's prediction at this value, per transport (keys: see render/charts/sweep-metrics.ts
     * PREDICTED_KEYS). Called after the point ran, with what it measured: a model whose input the run
     * only samples (a Poisson feed's rate in the window) predicts from the sample.
     */
    predict: Type.Optional(
      Fn<(spec: RunSpec, value: number, measured: SweepPoint) => SweepPoint['predicted']>(
        'must be a function (spec, value, measured point) → prediction',
      ),
    ),
    /** Run each transport's clients alone at each point (fan-out: socket budget, and CPU per transport). */
    oneTransportAtATime: Type.Optional(Bool),
  },
  '{parameter, unit, values, apply, …}',
);
export type SweepDef = Static<typeof SweepDefSchema>;

export const ScenarioDefSchema = Closed(
  {
    /** Lower-case words joined by dashes: it names the results folder. */
    name: Type.String({ pattern: NAME_PATTERN, must: 'must be lower-case words joined by dashes' }),
    description: Type.String({ pattern: '\\S', must: 'must say what the scenario shows' }),
    feed: FeedDefSchema,
    clients: ClientsDefSchema,
    /** The measurement window, ms (after the warm-up). */
    durationMs: DurationSchema,
    /** Clients connect and settle before measuring, ms. */
    warmupMs: MsSchema,
    /** Times are from the start of the measurement window. */
    faults: Type.Optional(Type.Array(FaultDefSchema, { must: 'must be a list of faults' })),
    capacity: Type.Optional(CapacityDefSchema),
    sweep: Type.Optional(SweepDefSchema),
    classroom: Type.Optional(ClassroomDefSchema),
    /**
     * The protocol comparison (scenarios/h1-vs-h2/compare.ts) instead of client groups in worker
     * threads: short poll, long poll and SSE, one client each, over HTTP/1.1, h2c and h2+TLS.
     * `clients` then only names the transports compared; no sweep, faults or capacity beside it.
     */
    protocols: Type.Optional(ProtocolsDefSchema),
    /** A scale-out run (see ScaleOutDefSchema); no sweep, faults, capacity, classroom or networks beside it. */
    scaleOut: Type.Optional(ScaleOutDefSchema),
    /** A reconnect storm (see StormDefSchema); no sweep, faults, capacity, classroom or protocols beside it. */
    storm: Type.Optional(StormDefSchema),
    expectations: Type.Optional(Type.Array(ExpectationDefSchema, { must: 'must be a list of expectations' })),
  },
  '{name, description, feed, clients, durationMs, warmupMs, …}',
);
export type ScenarioDef = Static<typeof ScenarioDefSchema>;

/* ------------------------------------------------------------------ the check */

/** `/clients/sse/0/count` under `prefix` → `clients.sse[0].count`. */
function pathOf(prefix: string, pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, key) => (/^\d+$/.test(key) ? `${path}[${key}]` : path ? `${path}.${key}` : key), prefix);
}

/**
 * Of a union's variants, the first error of the one the value came closest to: the fewest errors,
 * then the deepest (`{count: 0}` is a group with a bad count, not a list that is not one).
 */
function closest(error: ValueError): ValueError {
  if (error.type !== ValueErrorType.Union) return error;
  let best: { first: ValueError; count: number } | null = null;
  for (const variant of error.errors) {
    const all = [...variant];
    const first = all[0];
    if (first === undefined) continue;
    if (
      best === null ||
      all.length < best.count ||
      (all.length === best.count && first.path.length > best.first.path.length)
    )
      best = { first, count: all.length };
  }
  // A union of plain values (`"steady"` or `"bursty"`) answers for itself, with its own words.
  if (best === null || best.first.path === error.path) return error;
  return closest(best.first);
}

const show = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? JSON.stringify(value) : String(value);

/**
 * The first thing wrong with `value` against `schema`, as `[field, message]` (the field under
 * `prefix`), or null when it fits.
 */
export function firstProblem(schema: TSchema, value: unknown, prefix = ''): [string, string] | null {
  if (Value.Check(schema, value)) return null;
  const first = Value.Errors(schema, value).First();
  if (first === undefined) return [prefix, 'is malformed'];
  const error = closest(first);
  const path = pathOf(prefix, error.path);
  if (error.type === ValueErrorType.ObjectRequiredProperty) {
    const must = typeof error.schema.must === 'string' ? error.schema.must.replace(/^must be /, ': ') : '';
    return [path, `is required${must}`];
  }
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    const parent = pathOf(prefix, error.path.slice(0, error.path.lastIndexOf('/')));
    const key = error.path.slice(error.path.lastIndexOf('/') + 1);
    const known = Object.keys(error.schema.properties ?? {}).join(', ');
    return [parent, `unknown ${String(error.schema.unknown ?? 'field')} ${show(key)}; expected one of ${known}`];
  }
  const must = typeof error.schema.must === 'string' ? error.schema.must : error.message;
  return [path, `${must}, got ${show(error.value)}`];
}
