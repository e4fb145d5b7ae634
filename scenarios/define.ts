/**
 * What a scenario is: a typed module that says what to run (the feed, the clients of each
 * transport, for how long, which faults when, which sweep) and what to expect of the result.
 *
 * `defineScenario` checks everything once, when the module is loaded, and throws a
 * ScenarioError naming the scenario and the field: a mistake fails before any process starts.
 * It returns the scenario normalized (every default filled in), which is all the runner reads.
 */

import type { SocketIoTransportName } from '../client/transports/types.js';
import {
  CLIENT_PATTERN,
  FEED_LIMITS,
  type FeedMode,
  isClientId,
  isFeedMode,
  isFeedRate,
  isPayloadBytes,
  isTransportName,
  LONG_POLL_TIMEOUT,
  MIN_MESSAGE_BYTES,
  TRANSPORTS,
  type TransportName,
  WS_SUBPROTOCOLS,
  type WsSubprotocol,
} from '../contract/index.js';
import { NetworkError, parseNetworkSpec, type ResolvedNetwork } from '../contract/networks.js';
import type { ProtocolsSpec } from './h1-vs-h2/compare.js';
import type { ScaleOutDef } from './scale-out/result.js';
import type { Summary, SweepPoint } from './summary.js';

/* ------------------------------------------------------------------ what a scenario file writes */

export type Arrivals = 'ticker' | 'even' | 'poisson';

export interface FeedDef {
  /** Messages per second. Fractions allowed: 0.2 = one every 5 s on average. */
  rate: number;
  /** Size of the whole message JSON (the server's `payloadBytes`), 64…65 536. */
  payloadBytes: number;
  /** The ticker's pattern (default steady). Ignored for poisson arrivals. */
  mode?: FeedMode;
  /**
   * `ticker` (default): the server's own ticker publishes, evenly spaced. The runner can publish
   * instead, through `POST /api/publish`: `poisson` at exponentially distributed intervals (the
   * arrivals the polling model's e^(−λT) assumes), `even` evenly spaced with `data` a bare
   * string, so messages can be smaller than the ticker's (its `{kind, n, pad}` adds ~30 B).
   */
  arrivals?: Arrivals;
  /** Messages the server keeps for resume (default: the server's, 10 000). */
  retention?: number;
}

export interface ClientGroupDef {
  /** Names the group in ids (`<name>-<n>`) and in the summary. Default: the transport's name. */
  name?: string;
  count: number;
  /** On a reconnect, send the cursor (default true) or come back live-only. */
  resume?: boolean;
  /** short-poll only: pause between two polls, ms (default 1000). */
  pollIntervalMs?: number;
  /** long-poll only: how long the server holds a poll, ms (default 25 000). */
  longPollTimeoutMs?: number;
  /** websocket only: the subprotocol to offer (default: none, so JSON frames). */
  subprotocol?: WsSubprotocol;
  /** websocket only: ask for permessage-deflate (`compress=1`). Default false. */
  compress?: boolean;
  /** socket.io only: Engine.IO's transports (default `['polling', 'websocket']`: poll, then upgrade). */
  socketIoTransports?: SocketIoTransportName[];
  /**
   * The network between these clients and the server (contract/networks.ts): a profile name, or
   * a name with parameters (`3g?rttMs=300`). Default `loopback` (the proxy adds nothing).
   */
  network?: string;
  /**
   * Start the clients spread evenly over this long, ms, so polls do not all fire in step.
   * Default: one poll interval for short-poll, else 1 ms per client (at most 2 s).
   */
  startSpreadMs?: number;
}

export type FaultDef =
  /** Drop connections abruptly: at the runner's TCP proxies (both sides) or by the server (`POST /api/clients/<id>/cut`). */
  | { atMs: number; kind: 'cut'; via: 'proxy' | 'server'; groups?: string[] }
  /** Stop the server (SIGTERM) and start a new one: a new epoch, the history is gone. */
  | { atMs: number; kind: 'restart' };

export interface ExpectationDef {
  text: string;
  check: (summary: Summary) => boolean | { pass: boolean; detail?: string };
}

export interface CapacityDef {
  /** Seconds per autocannon run. */
  durationS: number;
  connections: number;
  /** Requests in flight per connection (default 1: browsers do not pipeline). */
  pipelining?: number;
  /** Runs of lab then baseline, alternated, averaged (default 2): drift on a noisy box hits both. */
  rounds?: number;
}

/**
 * A class of student pages beside the lanes (scenarios/class-pages.ts): the lab runs in classroom
 * mode, and page i's lanes are the i-th client of every group (so every group has the same count,
 * one group per transport).
 */
export interface ClassroomDef {
  /** The stats stream's interval, ms (default the dashboard's, 500). */
  statsIntervalMs?: number;
  /** A lane's p99 event age may exceed its transport's own floor (a short poll's interval) by at most this, ms. */
  budgetMs: number;
}

/** What a sweep point may change. */
export interface RunSpec {
  feed: Required<Omit<FeedDef, 'retention'>>;
  groups: GroupSpec[];
  durationMs: number;
  warmupMs: number;
}

export interface SweepDef {
  parameter: string;
  unit: string;
  values: number[];
  /** The run at one swept value, from the scenario's own. */
  apply: (spec: RunSpec, value: number) => RunSpec;
  /** The model's prediction at this value, per transport (keys: see render/charts/sweep-metrics.ts PREDICTED_KEYS). */
  predict?: (spec: RunSpec, value: number) => SweepPoint['predicted'];
  /** Run each transport's clients alone at each point (fan-out: socket budget, and CPU per transport). */
  oneTransportAtATime?: boolean;
}

export interface ScenarioDef {
  /** Lower-case words joined by dashes: it names the results folder. */
  name: string;
  description: string;
  feed: FeedDef;
  clients: Partial<Record<TransportName, ClientGroupDef | ClientGroupDef[]>>;
  /** The measurement window, ms (after the warm-up). */
  durationMs: number;
  /** Clients connect and settle before measuring, ms. */
  warmupMs: number;
  /** Times are from the start of the measurement window. */
  faults?: FaultDef[];
  capacity?: CapacityDef;
  sweep?: SweepDef;
  classroom?: ClassroomDef;
  /**
   * The protocol comparison (scenarios/h1-vs-h2/compare.ts) instead of client groups in worker
   * threads: short poll, long poll and SSE, one client each, over HTTP/1.1, h2c and h2+TLS.
   * `clients` then only names the transports compared; no sweep, faults or capacity beside it.
   */
  protocols?: ProtocolsSpec;
  /**
   * Scale-out (scenarios/scale-out/run.ts) instead of one lab under test: a Redis feed, 1…N lab
   * instances behind HAProxy without stickiness, the scenario's clients (one group per transport)
   * through the balancer, `warmupMs` then a `durationMs` window per step; then a fault run.
   * No sweep, faults, capacity, classroom or networks beside it.
   */
  scaleOut?: ScaleOutDef;
  expectations?: ExpectationDef[];
}

/* ------------------------------------------------------------------ what the runner reads */

export interface GroupSpec {
  name: string;
  transport: TransportName;
  count: number;
  resume: boolean;
  pollIntervalMs: number;
  longPollTimeoutMs: number;
  startSpreadMs: number;
  /** websocket only (null/false elsewhere). */
  subprotocol: WsSubprotocol | null;
  compress: boolean;
  /** The network profile, resolved: every parameter the group's shaping proxy applies. */
  network: ResolvedNetwork;
  /** socket.io only, when the scenario says: Engine.IO's transports. */
  socketIoTransports?: SocketIoTransportName[];
  /** Every reconnect's first wait, ms, without jitter (Scenario.reconnectWaitMs); absent: client/backoff.ts. */
  reconnectWaitMs?: number;
}

export interface Scenario extends RunSpec {
  name: string;
  description: string;
  retention: number | null;
  faults: FaultDef[];
  capacity: Required<CapacityDef> | null;
  sweep: SweepDef | null;
  classroom: Required<ClassroomDef> | null;
  protocols: ProtocolsSpec | null;
  scaleOut: ScaleOutDef | null;
  expectations: ExpectationDef[];
  /**
   * One explicit, equal reconnect wait for every transport, ms (`--reconnect-wait`): the server's SSE
   * `retry:` (EventSource waits it) and every lab client's first retry, without jitter. Absent: the
   * defaults — `retry: 1000` (or the SSE_RETRY_MS the runner was started with) and the lab clients'
   * full-jitter 0–250 ms (client/backoff.ts).
   */
  reconnectWaitMs?: number;
}

export interface Overrides {
  /** Clients per group (a sweep over client counts still sets its own). */
  clients?: number;
  rate?: number;
  durationMs?: number;
  /** A network profile for every group (`--network 3g`). */
  network?: string;
  /** One reconnect wait for every transport, ms (`--reconnect-wait`, Scenario.reconnectWaitMs). */
  reconnectWaitMs?: number;
}

/** The id of a group's i-th client (the server's `client=`): `<group>-<i>`. */
export function clientId(group: Pick<GroupSpec, 'name'>, i: number): string {
  return `${group.name}-${i}`;
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/* ------------------------------------------------------------------ limits */

/**
 * Every client costs the runner three sockets (client, proxy in, proxy out) and ulimit -n is
 * 20 000 here: 5 000 clients at once leaves room for the rest.
 */
export const MAX_CLIENTS_AT_ONCE = 5_000;
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const GROUP = /^[0-9A-Za-z_.-]{1,40}$/;
/** A measurement window longer than this is not "modest" on a shared box. */
const MAX_DURATION_MS = 10 * 60_000;

/* ------------------------------------------------------------------ define and check */

export function defineScenario(def: ScenarioDef): Scenario {
  const where = typeof def?.name === 'string' ? `scenario "${def.name}"` : 'scenario';
  const fail = (field: string, message: string): never => {
    throw new ScenarioError(`${where}: ${field}: ${message}`);
  };
  if (typeof def !== 'object' || def === null) throw new ScenarioError('a scenario must be an object');
  if (typeof def.name !== 'string' || !NAME.test(def.name))
    fail('name', `must be lower-case words joined by dashes, got ${show(def.name)}`);
  if (typeof def.description !== 'string' || def.description.trim() === '')
    fail('description', 'must say what the scenario shows');

  const feed = normalizeFeed(def.feed, fail);
  const groups = normalizeGroups(def.clients, fail);
  const durationMs = positive(def.durationMs, 'durationMs', fail, MAX_DURATION_MS);
  const warmupMs = nonNegative(def.warmupMs, 'warmupMs', fail);
  const retention =
    def.feed?.retention === undefined ? null : integerIn(def.feed.retention, 'feed.retention', 1, 1_000_000, fail);

  const faults = (def.faults ?? []).map((fault, i) => checkFault(fault, i, durationMs, groups, fail));
  const capacity = def.capacity === undefined ? null : checkCapacity(def.capacity, fail);
  const expectations = (def.expectations ?? []).map((e, i) => {
    if (typeof e?.text !== 'string' || e.text === '') fail(`expectations[${i}].text`, 'must be a sentence');
    if (typeof e.check !== 'function') fail(`expectations[${i}].check`, 'must be a function of the summary');
    return e;
  });

  const base: RunSpec = { feed, groups, durationMs, warmupMs };
  checkConcurrency(base, def.sweep?.oneTransportAtATime === true, 'clients', fail);
  const sweep = def.sweep === undefined ? null : checkSweep(def.sweep, base, fail);
  if (sweep && faults.length > 0) fail('faults', 'a sweep scenario cannot have faults (each point is its own run)');
  const classroom = def.classroom === undefined ? null : checkClassroom(def.classroom, fail);
  if (classroom) {
    if (faults.length > 0) fail('classroom', 'a class of pages cannot have faults (its pages do not follow a restart)');
    if (sweep?.oneTransportAtATime) fail('classroom', 'a page holds every lane at once: not one transport at a time');
    checkPages(base, fail);
    for (const value of sweep?.values ?? []) checkPages(sweep?.apply(baseSpec(base), value) ?? base, fail);
  }
  const protocols = def.protocols === undefined ? null : checkProtocols(def.protocols, fail);
  if (protocols && (sweep || faults.length > 0 || capacity))
    fail('protocols', 'a protocol comparison has its own passes and capacity phase: no sweep, faults or capacity');
  const scaleOut = def.scaleOut === undefined ? null : checkScaleOut(def.scaleOut, groups, fail);
  if (scaleOut && (sweep || faults.length > 0 || capacity || classroom || protocols))
    fail(
      'scaleOut',
      'a scale-out run has its own steps and fault run: no sweep, faults, capacity, classroom or protocols',
    );

  return Object.freeze({
    name: def.name,
    description: def.description,
    ...base,
    retention,
    faults,
    capacity,
    sweep,
    classroom,
    protocols,
    scaleOut,
    expectations,
  });
}

/** The scenario with the CLI's overrides, checked again. */
export function applyOverrides(scenario: Scenario, overrides: Overrides): Scenario {
  const fail = (field: string, message: string): never => {
    throw new ScenarioError(`scenario "${scenario.name}": --${field}: ${message}`);
  };
  if (scenario.protocols && Object.keys(overrides).length > 0)
    fail(
      (Object.keys(overrides)[0] as string).replace('durationMs', 'duration'),
      'a protocol comparison runs one client per transport and protocol on its own feed: no overrides',
    );
  if (scenario.scaleOut && overrides.network !== undefined)
    fail('network', 'a scale-out run goes through a load balancer on loopback: no network profile');
  let { feed, groups, durationMs } = scenario;
  if (overrides.clients !== undefined) {
    const count = integerIn(overrides.clients, 'clients', 1, MAX_CLIENTS_AT_ONCE, fail);
    groups = groups.map((g) => ({ ...g, count }));
  }
  if (overrides.rate !== undefined) feed = { ...feed, rate: checkRate(overrides.rate, 'rate', fail) };
  if (overrides.durationMs !== undefined)
    durationMs = positive(overrides.durationMs, 'duration', fail, MAX_DURATION_MS);
  let sweep = scenario.sweep;
  if (overrides.network !== undefined) {
    const network = checkNetwork(overrides.network, 'network', fail);
    groups = groups.map((g) => ({ ...g, network }));
    // A sweep that sets networks itself would undo the override at every point: apply it after.
    if (sweep) {
      const inner = sweep;
      sweep = {
        ...inner,
        apply: (spec, value) => {
          const at = inner.apply(spec, value);
          return { ...at, groups: at.groups.map((g) => ({ ...g, network })) };
        },
      };
    }
  }
  const next: Scenario = { ...scenario, feed, groups, durationMs, sweep };
  if (overrides.reconnectWaitMs !== undefined) {
    const wait = integerIn(overrides.reconnectWaitMs, 'reconnect-wait', 0, 60_000, fail);
    next.reconnectWaitMs = wait;
    next.groups = next.groups.map((g) => ({ ...g, reconnectWaitMs: wait }));
  }
  checkConcurrency(next, scenario.sweep?.oneTransportAtATime === true, 'clients', fail);
  for (const fault of next.faults)
    if (fault.atMs >= durationMs)
      fail('duration', `a fault is due at ${fault.atMs} ms, after the end (${durationMs} ms)`);
  if (next.sweep) checkSweep(next.sweep, next, fail);
  return Object.freeze(next);
}

/** The run of one sweep point, checked. */
export function specAt(scenario: Scenario, value: number): RunSpec {
  if (!scenario.sweep) return scenario;
  return scenario.sweep.apply(baseSpec(scenario), value);
}

function baseSpec(spec: RunSpec): RunSpec {
  return {
    feed: { ...spec.feed },
    groups: spec.groups.map((g) => ({ ...g })),
    durationMs: spec.durationMs,
    warmupMs: spec.warmupMs,
  };
}

type Fail = (field: string, message: string) => never;

function normalizeFeed(feed: FeedDef | undefined, fail: Fail): RunSpec['feed'] {
  if (typeof feed !== 'object' || feed === null) return fail('feed', 'is required: {rate, payloadBytes}');
  const rate = checkRate(feed.rate, 'feed.rate', fail);
  const mode = feed.mode ?? 'steady';
  if (!isFeedMode(mode)) fail('feed.mode', `must be "steady" or "bursty", got ${show(mode)}`);
  const arrivals = feed.arrivals ?? 'ticker';
  if (!['ticker', 'even', 'poisson'].includes(arrivals))
    fail('feed.arrivals', `must be "ticker", "even" or "poisson", got ${show(arrivals)}`);
  // The ticker pads {kind, n, pad}; the runner's messages carry a bare string, down to the envelope.
  const min = arrivals === 'ticker' ? FEED_LIMITS.minPayloadBytes : MIN_MESSAGE_BYTES;
  const why =
    arrivals === 'ticker'
      ? ' (the ticker\'s floor; arrivals "even" publish smaller messages)'
      : ' (the envelope {epoch, seq, ts, data} alone is ~60 B)';
  const payloadBytes = isPayloadBytes(feed.payloadBytes, min)
    ? feed.payloadBytes
    : fail(
        'feed.payloadBytes',
        `must be an integer within ${min}…${FEED_LIMITS.maxPayloadBytes}${why}, got ${show(feed.payloadBytes)}`,
      );
  // The runner publishes one HTTP request per message: keep that a trickle.
  if (arrivals !== 'ticker' && rate > 200)
    fail('feed.rate', `the runner publishes ${arrivals} arrivals itself; at most 200 msg/s, got ${rate}`);
  return { rate, payloadBytes, mode, arrivals };
}

function checkRate(rate: unknown, field: string, fail: Fail): number {
  // The server's limits (contract/feed-settings.ts), and above 0: a scenario with no feed measures nothing.
  if (!isFeedRate(rate) || rate <= 0) {
    return fail(field, `must be a number of messages/s above 0 and at most ${FEED_LIMITS.maxRate}, got ${show(rate)}`);
  }
  return rate;
}

function normalizeGroups(clients: ScenarioDef['clients'] | undefined, fail: Fail): GroupSpec[] {
  if (typeof clients !== 'object' || clients === null)
    return fail('clients', `is required: {${TRANSPORTS.join(', ')}}`);
  const groups: GroupSpec[] = [];
  for (const [transport, value] of Object.entries(clients)) {
    if (!isTransportName(transport))
      fail('clients', `unknown transport ${show(transport)}; expected one of ${TRANSPORTS.join(', ')}`);
    const t = transport as TransportName;
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) fail(`clients.${t}`, 'needs at least one group');
    list.forEach((g, i) => {
      groups.push(normalizeGroup(t, g, `clients.${t}${Array.isArray(value) ? `[${i}]` : ''}`, fail));
    });
  }
  if (groups.length === 0) fail('clients', 'needs at least one transport');
  const names = new Set<string>();
  for (const g of groups) {
    if (names.has(g.name)) fail('clients', `two groups are named ${show(g.name)}; give each a distinct name`);
    names.add(g.name);
  }
  return groups;
}

function normalizeGroup(transport: TransportName, g: ClientGroupDef | undefined, field: string, fail: Fail): GroupSpec {
  if (typeof g !== 'object' || g === null) return fail(field, 'must be {count, …}');
  const name = g.name ?? transport;
  if (typeof name !== 'string' || !GROUP.test(name))
    fail(`${field}.name`, `must match ${GROUP.source}, got ${show(name)}`);
  if (!isClientId(`${name}-0`)) fail(`${field}.name`, `makes client ids outside ${CLIENT_PATTERN}`);
  const count = integerIn(g.count, `${field}.count`, 1, MAX_CLIENTS_AT_ONCE, fail);
  if (g.resume !== undefined && typeof g.resume !== 'boolean') fail(`${field}.resume`, 'must be true or false');
  if (g.pollIntervalMs !== undefined && transport !== 'short-poll')
    fail(`${field}.pollIntervalMs`, 'only short-poll clients have a poll interval');
  if (g.longPollTimeoutMs !== undefined && transport !== 'long-poll')
    fail(`${field}.longPollTimeoutMs`, 'only long-poll clients have a poll timeout');
  const pollIntervalMs =
    g.pollIntervalMs === undefined
      ? DEFAULT_POLL_INTERVAL_MS
      : integerIn(g.pollIntervalMs, `${field}.pollIntervalMs`, 10, 60_000, fail);
  const longPollTimeoutMs =
    g.longPollTimeoutMs === undefined
      ? LONG_POLL_TIMEOUT.default
      : integerIn(
          g.longPollTimeoutMs,
          `${field}.longPollTimeoutMs`,
          LONG_POLL_TIMEOUT.min,
          LONG_POLL_TIMEOUT.max,
          fail,
        );
  if (g.subprotocol !== undefined && (transport !== 'websocket' || !WS_SUBPROTOCOLS.includes(g.subprotocol)))
    fail(`${field}.subprotocol`, `websocket clients only, one of ${WS_SUBPROTOCOLS.join(', ')}`);
  if (g.compress !== undefined && (transport !== 'websocket' || typeof g.compress !== 'boolean'))
    fail(`${field}.compress`, 'websocket clients only, true or false');
  if (g.socketIoTransports !== undefined) {
    if (transport !== 'socket.io')
      fail(`${field}.socketIoTransports`, 'only socket.io clients have Engine.IO transports');
    const list = g.socketIoTransports as unknown[];
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      new Set(list).size !== list.length ||
      !list.every((t) => t === 'polling' || t === 'websocket')
    )
      fail(`${field}.socketIoTransports`, `must list "polling" and/or "websocket" once each, got ${show(list)}`);
  }
  const network = checkNetwork(g.network ?? 'loopback', `${field}.network`, fail);
  const defaultSpread = transport === 'short-poll' ? pollIntervalMs : Math.min(2_000, count);
  const startSpreadMs =
    g.startSpreadMs === undefined ? defaultSpread : nonNegative(g.startSpreadMs, `${field}.startSpreadMs`, fail);
  return {
    name,
    transport,
    count,
    resume: g.resume ?? true,
    pollIntervalMs,
    longPollTimeoutMs,
    startSpreadMs,
    subprotocol: g.subprotocol ?? null,
    compress: g.compress ?? false,
    network,
    ...(g.socketIoTransports ? { socketIoTransports: [...g.socketIoTransports] } : {}),
  };
}

/** A profile name (with optional parameters) or an already resolved profile, checked. */
function checkNetwork(value: unknown, field: string, fail: Fail): ResolvedNetwork {
  const spec =
    typeof value === 'object' && value !== null && 'profile' in value ? specOf(value as ResolvedNetwork) : value;
  try {
    return parseNetworkSpec(spec);
  } catch (error) {
    if (error instanceof NetworkError) return fail(field, error.message);
    throw error;
  }
}

/** `3g`, or `3g?rttMs=…` for a profile with changed parameters: the string that resolves to it. */
export function specOf(network: ResolvedNetwork): string {
  const base = parseNetworkSpec(network.profile);
  const changed = (Object.keys(base) as (keyof ResolvedNetwork)[]).filter(
    (k) => typeof base[k] === 'number' && base[k] !== network[k],
  );
  if (changed.length === 0) return network.profile;
  return `${network.profile}?${changed.map((k) => `${k}=${network[k]}`).join('&')}`;
}

function checkFault(fault: FaultDef, i: number, durationMs: number, groups: GroupSpec[], fail: Fail): FaultDef {
  const field = `faults[${i}]`;
  if (typeof fault !== 'object' || fault === null) return fail(field, 'must be {atMs, kind, …}');
  const atMs = nonNegative(fault.atMs, `${field}.atMs`, fail);
  if (atMs >= durationMs) fail(`${field}.atMs`, `${atMs} ms is not within the measurement (${durationMs} ms)`);
  if (fault.kind === 'restart') return { atMs, kind: 'restart' };
  if (fault.kind !== 'cut')
    return fail(`${field}.kind`, `must be "cut" or "restart", got ${show((fault as { kind?: unknown }).kind)}`);
  if (fault.via !== 'proxy' && fault.via !== 'server')
    fail(`${field}.via`, `must be "proxy" or "server", got ${show(fault.via)}`);
  for (const name of fault.groups ?? []) {
    if (!groups.some((g) => g.name === name)) fail(`${field}.groups`, `no client group named ${show(name)}`);
  }
  return { atMs, kind: 'cut', via: fault.via, ...(fault.groups ? { groups: [...fault.groups] } : {}) };
}

function checkProtocols(protocols: ProtocolsSpec, fail: Fail): ProtocolsSpec {
  return {
    messages: integerIn(protocols.messages, 'protocols.messages', 2, 10_000, fail),
    cpuMessages: integerIn(protocols.cpuMessages, 'protocols.cpuMessages', 1, 100_000, fail),
    capacityRequests: integerIn(protocols.capacityRequests, 'protocols.capacityRequests', 1, 1_000_000, fail),
  };
}

function checkScaleOut(scaleOut: ScaleOutDef, groups: GroupSpec[], fail: Fail): ScaleOutDef {
  if (typeof scaleOut !== 'object' || scaleOut === null) return fail('scaleOut', 'must be {steps, fault, stickiness}');
  if (!Array.isArray(scaleOut.steps) || scaleOut.steps.length === 0)
    fail('scaleOut.steps', 'needs at least one instance count');
  const steps = scaleOut.steps.map((n, i) => integerIn(n, `scaleOut.steps[${i}]`, 1, 8, fail));
  const f = scaleOut.fault;
  if (typeof f !== 'object' || f === null)
    return fail('scaleOut.fault', 'must be {instances, durationMs, killAtMs, redisRestartAtMs}');
  const durationMs = positive(f.durationMs, 'scaleOut.fault.durationMs', fail, MAX_DURATION_MS);
  const killAtMs = positive(f.killAtMs, 'scaleOut.fault.killAtMs', fail, durationMs);
  const redisRestartAtMs = positive(f.redisRestartAtMs, 'scaleOut.fault.redisRestartAtMs', fail, durationMs);
  if (redisRestartAtMs <= killAtMs) fail('scaleOut.fault.redisRestartAtMs', 'must come after killAtMs');
  const fault = {
    // One instance is killed: another must be left to take its clients.
    instances: integerIn(f.instances, 'scaleOut.fault.instances', 2, 8, fail),
    durationMs,
    killAtMs,
    redisRestartAtMs,
  };
  const st = scaleOut.stickiness;
  if (typeof st !== 'object' || st === null)
    return fail('scaleOut.stickiness', 'must be {sessions, requestsPerSession}');
  const stickiness = {
    sessions: integerIn(st.sessions, 'scaleOut.stickiness.sessions', 1, 200, fail),
    requestsPerSession: integerIn(st.requestsPerSession, 'scaleOut.stickiness.requestsPerSession', 1, 20, fail),
  };
  if (!steps.some((n) => n >= 2)) fail('scaleOut.steps', 'the stickiness probe needs a step with 2 instances or more');
  const transports = groups.map((g) => g.transport);
  if (new Set(transports).size !== transports.length)
    fail('clients', 'a scale-out run has one client group per transport');
  for (const g of groups) {
    if (g.network.profile !== 'loopback')
      fail(`clients.${g.transport}.network`, 'a scale-out run goes through a load balancer on loopback');
    if (!g.resume) fail(`clients.${g.transport}.resume`, 'a scale-out run checks resume across instances: resume on');
  }
  return { steps, fault, stickiness };
}

function checkCapacity(capacity: CapacityDef, fail: Fail): Required<CapacityDef> {
  return {
    durationS: integerIn(capacity.durationS, 'capacity.durationS', 1, 60, fail),
    connections: integerIn(capacity.connections, 'capacity.connections', 1, 200, fail),
    pipelining: integerIn(capacity.pipelining ?? 1, 'capacity.pipelining', 1, 100, fail),
    rounds: integerIn(capacity.rounds ?? 2, 'capacity.rounds', 1, 10, fail),
  };
}

function checkClassroom(classroom: ClassroomDef, fail: Fail): Required<ClassroomDef> {
  if (typeof classroom !== 'object' || classroom === null) return fail('classroom', 'must be {budgetMs, …}');
  return {
    statsIntervalMs: integerIn(classroom.statsIntervalMs ?? 500, 'classroom.statsIntervalMs', 100, 10_000, fail),
    budgetMs: integerIn(classroom.budgetMs, 'classroom.budgetMs', 1, 60_000, fail),
  };
}

/** A class of pages: one group per transport, all of one size (page i holds the i-th client of each). */
function checkPages(spec: RunSpec, fail: Fail): void {
  const transports = spec.groups.map((g) => g.transport);
  if (new Set(transports).size !== transports.length)
    fail('classroom', 'a page has one lane per transport: one client group per transport');
  const counts = new Set(spec.groups.map((g) => g.count));
  if (counts.size !== 1)
    fail('classroom', `every group must have the same count (one client per page), got ${[...counts].join(', ')}`);
}

/** How many student pages a run of a classroom scenario has. */
export function pagesOf(spec: RunSpec): number {
  return spec.groups[0]?.count ?? 0;
}

function checkSweep(sweep: SweepDef, base: RunSpec, fail: Fail): SweepDef {
  if (typeof sweep.parameter !== 'string' || sweep.parameter === '')
    fail('sweep.parameter', 'must name the swept parameter');
  if (typeof sweep.unit !== 'string') fail('sweep.unit', 'must be a unit (may be empty)');
  if (!Array.isArray(sweep.values) || sweep.values.length === 0) fail('sweep.values', 'needs at least one value');
  sweep.values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(`sweep.values[${i}]`, `must be a finite number, got ${show(v)}`);
  });
  if (typeof sweep.apply !== 'function') fail('sweep.apply', 'must be a function (spec, value) → spec');
  // Every point is checked now, so a bad value fails before the first point runs, not after.
  for (const value of sweep.values) {
    const at = `sweep at ${sweep.parameter} = ${value}`;
    const spec = sweep.apply(baseSpec(base), value);
    const pointFail: Fail = (field, message) => fail(at, `${field}: ${message}`);
    normalizeFeed(spec.feed, pointFail);
    normalizeGroups(groupsToClients(spec.groups, pointFail), pointFail);
    positive(spec.durationMs, 'durationMs', pointFail, MAX_DURATION_MS);
    nonNegative(spec.warmupMs, 'warmupMs', pointFail);
    checkConcurrency(spec, sweep.oneTransportAtATime === true, 'clients', pointFail);
  }
  return sweep;
}

function groupsToClients(groups: GroupSpec[], fail: Fail): ScenarioDef['clients'] {
  const clients: Partial<Record<TransportName, ClientGroupDef[]>> = {};
  for (const g of groups) {
    const { transport } = g;
    if (!isTransportName(transport))
      fail('clients', `unknown transport ${show(transport)}; expected one of ${TRANSPORTS.join(', ')}`);
    const def: ClientGroupDef = {
      name: g.name,
      count: g.count,
      resume: g.resume,
      startSpreadMs: g.startSpreadMs,
      network: g.network ? specOf(g.network) : undefined,
    };
    if (transport === 'short-poll') def.pollIntervalMs = g.pollIntervalMs;
    if (transport === 'long-poll') def.longPollTimeoutMs = g.longPollTimeoutMs;
    if (g.subprotocol !== null) def.subprotocol = g.subprotocol;
    if (g.compress) def.compress = true;
    const list = clients[transport] ?? [];
    list.push(def);
    clients[transport] = list;
  }
  return clients;
}

function checkConcurrency(spec: RunSpec, oneAtATime: boolean, field: string, fail: Fail): void {
  const perTransport = new Map<TransportName, number>();
  for (const g of spec.groups) perTransport.set(g.transport, (perTransport.get(g.transport) ?? 0) + g.count);
  const atOnce = oneAtATime
    ? Math.max(...perTransport.values())
    : [...perTransport.values()].reduce((a, b) => a + b, 0);
  if (atOnce > MAX_CLIENTS_AT_ONCE) {
    fail(
      field,
      `${atOnce} clients at once is more than ${MAX_CLIENTS_AT_ONCE} (3 sockets each in the runner; ulimit -n is 20 000)${oneAtATime ? '' : '; run one transport at a time'}`,
    );
  }
}

function integerIn(value: unknown, field: string, min: number, max: number, fail: Fail, why = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return fail(field, `must be an integer within ${min}…${max}${why}, got ${show(value)}`);
  }
  return value;
}

function positive(value: unknown, field: string, fail: Fail, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    return fail(
      field,
      `must be a number of ms above 0${Number.isFinite(max) ? ` and at most ${max}` : ''}, got ${show(value)}`,
    );
  }
  return value;
}

function nonNegative(value: unknown, field: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    return fail(field, `must be a number of ms ≥ 0, got ${show(value)}`);
  return value;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
