/**
 * What a scenario is: a typed module that says what to run (the feed, the clients of each
 * transport, for how long, which faults when, which sweep) and what to expect of the result.
 *
 * `defineScenario` checks everything once, when the module is loaded, and throws a
 * ScenarioError naming the scenario and the field: a mistake fails before any process starts.
 * The shape is checked against the schema in scenarios/definition-schema.ts (the types are its
 * `Static`); the rules that span fields are checked here.
 * It returns the scenario normalized (every default filled in), which is all the runner reads.
 */

import type { SocketIoTransportName } from '../client/transports/types.js';
import {
  CLIENT_PATTERN,
  isClientId,
  LONG_POLL_TIMEOUT,
  TRANSPORTS,
  type TransportName,
  type WsSubprotocol,
} from '../contract/index.js';
import { NetworkError, parseNetworkSpec, type ResolvedNetwork } from '../contract/networks.js';
import { SCENARIO_CLIENTS } from './clients/index.js';
import {
  type CapacityDef,
  type ClassroomDef,
  ClientCountSchema,
  type ClientGroupDef,
  type ClientsDef,
  ClientsDefSchema,
  DurationSchema,
  type ExpectationDef,
  type FaultDef,
  type FeedDef,
  FeedDefSchema,
  firstProblem,
  MAX_CLIENTS_AT_ONCE,
  MsSchema,
  NetworkSpecSchema,
  type ProtocolsSpec,
  RateSchema,
  ReconnectWaitSchema,
  type ScaleOutDef,
  type ScenarioDef,
  ScenarioDefSchema,
  type StormDef,
  StormDefSchema,
  type SweepDef,
} from './definition-schema.js';

// What a scenario file writes: the types of the schemas in definition-schema.ts.
export type {
  Arrivals,
  CapacityDef,
  ClassroomDef,
  ClientGroupDef,
  ExpectationDef,
  FaultDef,
  FeedDef,
  ProtocolsSpec,
  ScaleOutDef,
  ScenarioDef,
  StormDef,
  SweepDef,
} from './definition-schema.js';
export { MAX_CLIENTS_AT_ONCE } from './definition-schema.js';

/* ------------------------------------------------------------------ what the runner reads */

/** What a sweep point may change. */
export interface RunSpec {
  feed: Required<Omit<FeedDef, 'retention'>>;
  groups: GroupSpec[];
  durationMs: number;
  warmupMs: number;
}

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
  /** A reconnect storm (scenarios/storm/run.ts): the groups' counts are then each transport's share. */
  storm: StormDef | null;
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

export const DEFAULT_POLL_INTERVAL_MS = 1_000;

/* ------------------------------------------------------------------ define and check */

type Fail = (field: string, message: string) => never;

/** Fails with the first thing in `value` that does not fit `schema` (its field under `prefix`). */
function conform(schema: Parameters<typeof firstProblem>[0], value: unknown, prefix: string, fail: Fail): void {
  const problem = firstProblem(schema, value, prefix);
  if (problem) fail(...problem);
}

export function defineScenario(def: ScenarioDef): Scenario {
  const where = typeof def?.name === 'string' ? `scenario "${def.name}"` : 'scenario';
  const fail: Fail = (field, message) => {
    throw new ScenarioError(field === '' ? `${where}: ${message}` : `${where}: ${field}: ${message}`);
  };
  if (typeof def !== 'object' || def === null) throw new ScenarioError('a scenario must be an object');
  conform(ScenarioDefSchema, def, '', fail);

  const feed = normalizeFeed(def.feed, fail);
  const groups = normalizeGroups(def.clients, fail);
  const { durationMs, warmupMs } = def;
  const retention = def.feed.retention ?? null;

  const faults = (def.faults ?? []).map((fault, i) => checkFault(fault, i, durationMs, groups, fail));
  const capacity = def.capacity === undefined ? null : { pipelining: 1, rounds: 2, ...def.capacity };
  const expectations = def.expectations ?? [];

  const base: RunSpec = { feed, groups, durationMs, warmupMs };
  checkConcurrency(base, def.sweep?.oneTransportAtATime === true, 'clients', fail);
  const sweep = def.sweep === undefined ? null : checkSweep(def.sweep, base, fail);
  if (sweep && faults.length > 0) fail('faults', 'a sweep scenario cannot have faults (each point is its own run)');
  const classroom = def.classroom === undefined ? null : { statsIntervalMs: 500, ...def.classroom };
  if (classroom) {
    if (faults.length > 0) fail('classroom', 'a class of pages cannot have faults (its pages do not follow a restart)');
    if (sweep?.oneTransportAtATime) fail('classroom', 'a page holds every lane at once: not one transport at a time');
    checkPages(base, fail);
    for (const value of sweep?.values ?? []) checkPages(sweep?.apply(baseSpec(base), value) ?? base, fail);
  }
  const protocols = def.protocols === undefined ? null : { ...def.protocols };
  if (protocols && (sweep || faults.length > 0 || capacity))
    fail('protocols', 'a protocol comparison has its own passes and capacity phase: no sweep, faults or capacity');
  const scaleOut = def.scaleOut === undefined ? null : checkScaleOut(def.scaleOut, groups, fail);
  if (scaleOut && (sweep || faults.length > 0 || capacity || classroom || protocols))
    fail(
      'scaleOut',
      'a scale-out run has its own steps and fault run: no sweep, faults, capacity, classroom or protocols',
    );

  const storm = def.storm === undefined ? null : checkStorm(def.storm, groups, fail);
  if (storm && (sweep || faults.length > 0 || capacity || classroom || protocols || scaleOut))
    fail(
      'storm',
      'a storm has its own clients, drops and restarts: no sweep, faults, capacity, classroom, protocols or scaleOut',
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
    storm,
    expectations,
  });
}

/** The scenario with the CLI's overrides, checked again (against the same schemas as a definition). */
export function applyOverrides(scenario: Scenario, overrides: Overrides): Scenario {
  const fail: Fail = (field, message) => {
    throw new ScenarioError(`scenario "${scenario.name}": --${field}: ${message}`);
  };
  const first = Object.keys(overrides)[0];
  if (scenario.protocols && first !== undefined)
    fail(
      first.replace('durationMs', 'duration'),
      'a protocol comparison runs one client per transport and protocol on its own feed: no overrides',
    );
  if (scenario.scaleOut && overrides.network !== undefined)
    fail('network', 'a scale-out run goes through a load balancer on loopback: no network profile');
  if (scenario.storm) return stormOverrides(scenario, scenario.storm, overrides, fail);
  let { feed, groups, durationMs } = scenario;
  if (overrides.clients !== undefined) {
    conform(ClientCountSchema, overrides.clients, 'clients', fail);
    const count = overrides.clients;
    groups = groups.map((g) => ({ ...g, count }));
  }
  if (overrides.rate !== undefined) {
    conform(RateSchema, overrides.rate, 'rate', fail);
    feed = { ...feed, rate: overrides.rate };
  }
  if (overrides.durationMs !== undefined) {
    conform(DurationSchema, overrides.durationMs, 'duration', fail);
    durationMs = overrides.durationMs;
  }
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
    conform(ReconnectWaitSchema, overrides.reconnectWaitMs, 'reconnect-wait', fail);
    const wait = overrides.reconnectWaitMs;
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

/**
 * A storm takes `--clients` as the size of the whole fleet (its groups are shares) and `--rate`; its
 * times and network are its own.
 */
function stormOverrides(scenario: Scenario, storm: StormDef, overrides: Overrides, fail: Fail): Scenario {
  for (const [key, flag] of [
    ['durationMs', 'duration'],
    ['network', 'network'],
    ['reconnectWaitMs', 'reconnect-wait'],
  ] as const)
    if (overrides[key] !== undefined)
      fail(flag, 'a storm follows each drop until every client is back (loopback, the lab clients’ own backoff)');
  let feed = scenario.feed;
  if (overrides.rate !== undefined) {
    conform(RateSchema, overrides.rate, 'rate', fail);
    feed = { ...feed, rate: overrides.rate };
  }
  const next = { ...storm };
  if (overrides.clients !== undefined) {
    next.clients = overrides.clients;
    conform(StormDefSchema.properties.clients, next.clients, 'clients', fail);
    if (next.clients < scenario.groups.length)
      fail('clients', `the whole fleet, at least one client per transport (${scenario.groups.length})`);
    // A client process holds about 3 fds per client: more clients, more processes.
    next.processes = Math.max(storm.processes, Math.ceil(next.clients / 1_500));
  }
  return Object.freeze({ ...scenario, feed, storm: next });
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

/** A feed that fits FeedDefSchema (its payload floor depends on its arrivals), with its defaults. */
function normalizeFeed(feed: FeedDef, fail: Fail): RunSpec['feed'] {
  const { rate, payloadBytes } = feed;
  const mode = feed.mode ?? 'steady';
  const arrivals = feed.arrivals ?? 'ticker';
  // The runner publishes one HTTP request per message: keep that a trickle.
  if (arrivals !== 'ticker' && rate > 200)
    fail('feed.rate', `the runner publishes ${arrivals} arrivals itself; at most 200 msg/s, got ${rate}`);
  return { rate, payloadBytes, mode, arrivals };
}

/** Client groups that fit ClientsDefSchema, with their defaults and the rules of their transport. */
function normalizeGroups(clients: ClientsDef, fail: Fail): GroupSpec[] {
  const groups: GroupSpec[] = [];
  for (const [transport, value] of Object.entries(clients) as [TransportName, ClientGroupDef | ClientGroupDef[]][]) {
    const list = Array.isArray(value) ? value : [value];
    list.forEach((g, i) => {
      groups.push(normalizeGroup(transport, g, `clients.${transport}${Array.isArray(value) ? `[${i}]` : ''}`, fail));
    });
  }
  if (groups.length === 0) fail('clients', 'needs at least one transport');
  const names = new Set<string>();
  for (const g of groups) {
    if (names.has(g.name)) fail('clients', `two groups are named ${JSON.stringify(g.name)}; give each a distinct name`);
    names.add(g.name);
  }
  return groups;
}

function normalizeGroup(transport: TransportName, g: ClientGroupDef, field: string, fail: Fail): GroupSpec {
  const name = g.name ?? transport;
  if (!isClientId(`${name}-0`)) fail(`${field}.name`, `makes client ids outside ${CLIENT_PATTERN}`);
  // A setting that another transport owns (its file in scenarios/clients/ says so, and what to say).
  for (const owner of TRANSPORTS) {
    if (owner === transport) continue;
    for (const [key, message] of Object.entries(SCENARIO_CLIENTS[owner].ownSettings))
      if (g[key as keyof ClientGroupDef] !== undefined) fail(`${field}.${key}`, message);
  }
  const pollIntervalMs = g.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const network = checkNetwork(g.network ?? 'loopback', `${field}.network`, fail);
  const defaultSpread = transport === 'short-poll' ? pollIntervalMs : Math.min(2_000, g.count);
  return {
    name,
    transport,
    count: g.count,
    resume: g.resume ?? true,
    pollIntervalMs,
    longPollTimeoutMs: g.longPollTimeoutMs ?? LONG_POLL_TIMEOUT.default,
    startSpreadMs: g.startSpreadMs ?? defaultSpread,
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
  conform(NetworkSpecSchema, spec, field, fail);
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
  if (fault.atMs >= durationMs)
    fail(`${field}.atMs`, `${fault.atMs} ms is not within the measurement (${durationMs} ms)`);
  if (fault.kind === 'restart') return { atMs: fault.atMs, kind: 'restart' };
  for (const name of fault.groups ?? []) {
    if (!groups.some((g) => g.name === name)) fail(`${field}.groups`, `no client group named ${JSON.stringify(name)}`);
  }
  return { ...fault, ...(fault.groups ? { groups: [...fault.groups] } : {}) };
}

/** A scale-out run that fits ScaleOutDefSchema: its times in order, a step to probe, its groups fit for a balancer. */
function checkScaleOut(scaleOut: ScaleOutDef, groups: GroupSpec[], fail: Fail): ScaleOutDef {
  const { steps, fault, stickiness } = scaleOut;
  if (fault.killAtMs > fault.durationMs)
    fail('scaleOut.fault.killAtMs', `must be within the fault run (${fault.durationMs} ms), got ${fault.killAtMs}`);
  if (fault.redisRestartAtMs > fault.durationMs)
    fail(
      'scaleOut.fault.redisRestartAtMs',
      `must be within the fault run (${fault.durationMs} ms), got ${fault.redisRestartAtMs}`,
    );
  if (fault.redisRestartAtMs <= fault.killAtMs) fail('scaleOut.fault.redisRestartAtMs', 'must come after killAtMs');
  if (!steps.some((n) => n >= 2)) fail('scaleOut.steps', 'the stickiness probe needs a step with 2 instances or more');
  const transports = groups.map((g) => g.transport);
  if (new Set(transports).size !== transports.length)
    fail('clients', 'a scale-out run has one client group per transport');
  for (const g of groups) {
    if (g.network.profile !== 'loopback')
      fail(`clients.${g.transport}.network`, 'a scale-out run goes through a load balancer on loopback');
    if (!g.resume) fail(`clients.${g.transport}.resume`, 'a scale-out run checks resume across instances: resume on');
  }
  return { steps: [...steps], fault: { ...fault }, stickiness: { ...stickiness } };
}

/** A storm that fits StormDefSchema: one share per transport on loopback, enough clients for every share. */
function checkStorm(storm: StormDef, groups: GroupSpec[], fail: Fail): StormDef {
  const transports = groups.map((g) => g.transport);
  if (new Set(transports).size !== transports.length) fail('clients', 'a storm has one share per transport');
  for (const g of groups)
    if (g.network.profile !== 'loopback')
      fail(`clients.${g.transport}.network`, 'a storm runs on loopback (its proxies only reset connections)');
  if (storm.clients < groups.length)
    fail('storm.clients', `must give every transport a client at least (${groups.length}), got ${storm.clients}`);
  if (storm.clients < storm.processes)
    fail('storm.processes', `must not exceed storm.clients (${storm.clients}), got ${storm.processes}`);
  return { ...storm, faults: [...storm.faults] };
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
  // Every point is checked now, so a bad value fails before the first point runs, not after.
  for (const value of sweep.values) {
    const at = `sweep at ${sweep.parameter} = ${value}`;
    const spec = sweep.apply(baseSpec(base), value);
    const pointFail: Fail = (field, message) => fail(at, `${field}: ${message}`);
    conform(FeedDefSchema, spec.feed, 'feed', pointFail);
    normalizeFeed(spec.feed, pointFail);
    const clients = groupsToClients(spec.groups);
    conform(ClientsDefSchema, clients, 'clients', pointFail);
    normalizeGroups(clients, pointFail);
    conform(DurationSchema, spec.durationMs, 'durationMs', pointFail);
    conform(MsSchema, spec.warmupMs, 'warmupMs', pointFail);
    checkConcurrency(spec, sweep.oneTransportAtATime === true, 'clients', pointFail);
  }
  return sweep;
}

/** A sweep point's groups as a definition's `clients`, to be checked as one (a bad transport name included). */
function groupsToClients(groups: GroupSpec[]): ClientsDef {
  const clients: Partial<Record<TransportName, ClientGroupDef[]>> = {};
  for (const g of groups) {
    const { transport } = g;
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
    if (g.socketIoTransports) def.socketIoTransports = [...g.socketIoTransports];
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
