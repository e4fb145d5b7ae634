/** A scenario with a mistake fails with a clear message before anything starts. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { applyOverrides, defineScenario, type ScenarioDef, ScenarioError } from '../../scenarios/define.js';
import { SCENARIOS } from '../../scenarios/library/index.js';
import { ROOT } from '../../tools/child-process.js';

const good: ScenarioDef = {
  name: 'tiny',
  description: 'a valid scenario',
  feed: { rate: 5, payloadBytes: 256 },
  clients: { sse: { count: 2 }, 'short-poll': { count: 2, pollIntervalMs: 500 } },
  warmupMs: 500,
  durationMs: 2_000,
};

function mistake(patch: Partial<ScenarioDef> | Record<string, unknown>): () => void {
  return () => defineScenario({ ...good, ...patch } as ScenarioDef);
}

describe('defineScenario', () => {
  it('accepts a valid scenario and fills in the defaults', () => {
    const s = defineScenario(good);
    expect(s.groups.map((g) => [g.name, g.transport, g.count, g.resume])).toEqual([
      ['sse', 'sse', 2, true],
      ['short-poll', 'short-poll', 2, true],
    ]);
    expect(s.groups[1]?.pollIntervalMs).toBe(500);
    expect(s.feed).toEqual({ rate: 5, payloadBytes: 256, mode: 'steady', arrivals: 'ticker' });
  });

  it('refuses an unknown transport, naming it and the valid ones', () => {
    expect(mistake({ clients: { smoke: { count: 1 } } })).toThrow(ScenarioError);
    expect(mistake({ clients: { smoke: { count: 1 } } })).toThrow(
      'scenario "tiny": clients: unknown transport "smoke"; expected one of short-poll, long-poll, sse, websocket',
    );
  });

  it('checks the shape against the schema (scenarios/definition-schema.ts), naming the valid keys', () => {
    expect(mistake({ durationS: 5 })).toThrow(
      'scenario "tiny": unknown field "durationS"; expected one of name, description, feed, clients, durationMs,',
    );
    expect(mistake({ clients: { sse: { count: 1, interval: 5 } } })).toThrow(
      'scenario "tiny": clients.sse: unknown field "interval"; expected one of name, count, resume,',
    );
    expect(mistake({ feed: { rate: 1, payloadBytes: 256, mode: 'wavy' } })).toThrow(
      'scenario "tiny": feed.mode: must be "steady" or "bursty", got "wavy"',
    );
    expect(mistake({ clients: { sse: [{ count: 1 }, { count: 1.5, name: 'b' }] } })).toThrow(
      'scenario "tiny": clients.sse[1].count: must be an integer within 1…5000, got 1.5',
    );
    expect(mistake({ expectations: [{ text: 'x', check: 'yes' }] })).toThrow(
      'scenario "tiny": expectations[0].check: must be a function of the summary, got "yes"',
    );
  });

  it('refuses a negative or zero rate', () => {
    expect(mistake({ feed: { rate: -1, payloadBytes: 256 } })).toThrow(
      /feed\.rate: must be a number of messages\/s above 0.*got -1/,
    );
    expect(mistake({ feed: { rate: 0, payloadBytes: 256 } })).toThrow(/feed\.rate/);
  });

  it('refuses messages the feed cannot make, and says why', () => {
    expect(mistake({ feed: { rate: 1, payloadBytes: 16 } })).toThrow(
      /feed\.payloadBytes: must be an integer within 100…65536 \(the ticker's floor/,
    );
    expect(mistake({ feed: { rate: 1, payloadBytes: 16, arrivals: 'even' } })).toThrow(
      /within 64…65536 \(the envelope/,
    );
    expect(mistake({ feed: { rate: 1, payloadBytes: 70_000 } })).toThrow(/feed\.payloadBytes/);
  });

  it('refuses bad client groups', () => {
    expect(mistake({ clients: { sse: { count: 0 } } })).toThrow(
      /clients\.sse\.count: must be an integer within 1…5000, got 0/,
    );
    expect(mistake({ clients: { sse: { count: 1, pollIntervalMs: 100 } } })).toThrow(
      /only short-poll clients have a poll interval/,
    );
    // Each transport's own settings (scenarios/clients/<transport>.ts) are refused, by name, on the others.
    expect(mistake({ clients: { 'short-poll': { count: 1, longPollTimeoutMs: 5_000 } } })).toThrow(
      'clients.short-poll.longPollTimeoutMs: only long-poll clients have a poll timeout',
    );
    expect(mistake({ clients: { 'long-poll': { count: 1, subprotocol: 'lab.v1.json' } } })).toThrow(
      'clients.long-poll.subprotocol: websocket clients only',
    );
    expect(mistake({ clients: { websocket: { count: 1, socketIoTransports: ['polling'] } } })).toThrow(
      'clients.websocket.socketIoTransports: only socket.io clients have Engine.IO transports',
    );
    expect(mistake({ clients: { 'socket.io': { count: 1, pollIntervalMs: 500, compress: true } } })).toThrow(
      'clients.socket.io.pollIntervalMs: only short-poll clients have a poll interval',
    );
    expect(mistake({ clients: { 'long-poll': { count: 1, longPollTimeoutMs: 90_000 } } })).toThrow(
      /longPollTimeoutMs: must be an integer within 0…60000/,
    );
    expect(mistake({ clients: { sse: [{ count: 1 }, { count: 1 }] } })).toThrow(/two groups are named "sse"/);
    expect(mistake({ clients: {} })).toThrow(/clients: needs at least one transport/);
    expect(mistake({ clients: { sse: { count: 3_000 }, websocket: { count: 3_000 } } })).toThrow(
      /6000 clients at once is more than 5000/,
    );
  });

  it('refuses bad times, names and faults', () => {
    expect(mistake({ durationMs: -5 })).toThrow(/durationMs: must be a number of ms above 0/);
    expect(mistake({ warmupMs: Number.NaN })).toThrow(/warmupMs/);
    expect(mistake({ name: 'Not A Name' })).toThrow(/name: must be lower-case words joined by dashes/);
    expect(mistake({ faults: [{ atMs: 5_000, kind: 'restart' }] })).toThrow(
      /faults\[0\]\.atMs: 5000 ms is not within the measurement \(2000 ms\)/,
    );
    expect(mistake({ faults: [{ atMs: 100, kind: 'cut', via: 'proxy', groups: ['nope'] }] })).toThrow(
      /no client group named "nope"/,
    );
    expect(mistake({ faults: [{ atMs: 100, kind: 'explode' }] })).toThrow(/kind: must be "cut" or "restart"/);
  });

  it('checks every sweep point up front, and names the bad one', () => {
    const sweep = {
      parameter: 'rate',
      unit: 'msg/s',
      values: [1, -3],
      apply: (spec: Parameters<NonNullable<ScenarioDef['sweep']>['apply']>[0], v: number) => ({
        ...spec,
        feed: { ...spec.feed, rate: v },
      }),
    };
    expect(mistake({ sweep })).toThrow(/sweep at rate = -3: feed\.rate: must be a number/);
  });

  it('checks CLI overrides the same way', () => {
    const s = defineScenario(good);
    expect(applyOverrides(s, { clients: 7, rate: 2, durationMs: 3_000 }).groups.every((g) => g.count === 7)).toBe(true);
    expect(() => applyOverrides(s, { rate: -5 })).toThrow(/--rate: must be a number of messages\/s above 0/);
    expect(() => applyOverrides(s, { clients: 0 })).toThrow(/--clients: must be an integer within 1…5000/);
  });

  it('--reconnect-wait gives every group and the server one wait, and refuses one out of range', () => {
    const s = defineScenario(good);
    expect(s.reconnectWaitMs).toBeUndefined();
    const equal = applyOverrides(s, { reconnectWaitMs: 1_000 });
    expect(equal.reconnectWaitMs).toBe(1_000);
    expect(equal.groups.every((g) => g.reconnectWaitMs === 1_000)).toBe(true);
    expect(() => applyOverrides(s, { reconnectWaitMs: -1 })).toThrow(
      /--reconnect-wait: must be an integer within 0…60000/,
    );
    const library = SCENARIOS.find((x) => x.name === 'reconnect-equal-wait');
    expect(library?.reconnectWaitMs).toBe(1_000);
    expect(library?.groups.every((g) => g.reconnectWaitMs === 1_000)).toBe(true);
  });

  it('a group names its network; the summary of a spec keeps every parameter', () => {
    const s = defineScenario({ ...good, clients: { sse: { count: 1, network: '3g?rttMs=300' } } });
    expect(s.groups[0]?.network).toMatchObject({ name: '3g+custom', profile: '3g', rttMs: 300, downKbps: 1_600 });
    expect(applyOverrides(s, { network: 'lossy-wifi' }).groups[0]?.network).toMatchObject({
      name: 'lossy-wifi',
      lossPercent: 2,
    });
    expect(() => defineScenario({ ...good, clients: { sse: { count: 1, network: 'dialup' } } })).toThrow(
      /clients\.sse\.network: unknown network profile "dialup"; profiles: loopback/,
    );
  });

  it('loads every standard scenario', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual([
      'smoke',
      'quiet-feed',
      'busy-feed',
      'poll-interval-sweep',
      'payload-sweep',
      'fan-out',
      'reconnect',
      'reconnect-equal-wait',
      'network-profiles',
      'network-quiet',
      'network-recovery',
      'intermediaries',
      'h1-vs-h2',
      'ws-framing',
      'classroom',
      'scale-out',
      'storm',
    ]);
  });

  it('a protocol comparison takes bounded passes and nothing beside them, and no CLI overrides', () => {
    const compare = defineScenario({ ...good, protocols: { messages: 10, cpuMessages: 20, capacityRequests: 100 } });
    expect(compare.protocols).toEqual({ messages: 10, cpuMessages: 20, capacityRequests: 100 });
    expect(() =>
      defineScenario({ ...good, protocols: { messages: 1, cpuMessages: 20, capacityRequests: 100 } }),
    ).toThrow(/protocols\.messages/);
    expect(() =>
      defineScenario({
        ...good,
        capacity: { durationS: 1, connections: 1 },
        protocols: { messages: 10, cpuMessages: 20, capacityRequests: 100 },
      }),
    ).toThrow(/protocols: a protocol comparison has its own passes/);
    expect(() => applyOverrides(compare, { network: '3g' })).toThrow(/--network: a protocol comparison/);
  });

  it('websocket groups may offer a subprotocol and ask for compression; other transports may not', () => {
    const ws = defineScenario({
      ...good,
      clients: { websocket: [{ name: 'a', count: 1, subprotocol: 'lab.v1.msgpack', compress: true }] },
    });
    expect(ws.groups[0]).toMatchObject({ subprotocol: 'lab.v1.msgpack', compress: true });
    expect(() => defineScenario({ ...good, clients: { sse: { count: 1, compress: true } } })).toThrow(
      /compress: websocket clients only/,
    );
    expect(() =>
      defineScenario({ ...good, clients: { websocket: { count: 1, subprotocol: 'chat' as 'lab.v1.json' } } }),
    ).toThrow('clients.websocket.subprotocol: must be "lab.v1.msgpack" or "lab.v1.json", got "chat"');
  });
});

describe('the CLI refuses mistakes before starting anything', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scenarios/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8' });

  it('an unknown scenario: exit 2 and the list', () => {
    const run = cli('no-such-thing');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('no scenario named "no-such-thing"');
    expect(run.stderr).toContain('smoke');
  });

  it('a bad override: exit 2 and what is wrong', () => {
    const run = cli('smoke', '--rate=-5');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--rate: must be a number of messages/s above 0');
    expect(run.stderr).not.toContain('starting the lab server');
  });

  it('an unknown network or a parameter out of range: exit 2, listing what is valid, nothing started', () => {
    const unknown = cli('smoke', '--network', '5g');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown network profile "5g"; profiles: loopback, lan, broadband, 4g, 3g');
    expect(unknown.stderr).not.toContain('starting the lab server');
    const range = cli('smoke', '--network', '3g?lossPercent=80');
    expect(range.status).toBe(2);
    expect(range.stderr).toContain('lossPercent must be a number within 0…50');
  });

  it('--repeat and --reconnect-wait out of range: exit 2, nothing started', () => {
    const repeat = cli('smoke', '--repeat', '1.5');
    expect(repeat.status).toBe(2);
    expect(repeat.stderr).toContain('--repeat: a whole number of runs from 1 to 20');
    const wait = cli('smoke', '--reconnect-wait', '-3');
    expect(wait.status).toBe(2);
    expect(wait.stderr).not.toContain('starting the lab server');
  });

  it('--list names every scenario', () => {
    const run = cli('--list');
    expect(run.status).toBe(0);
    for (const s of SCENARIOS) expect(run.stdout).toContain(s.name);
  });
});
