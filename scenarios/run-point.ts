/**
 * One measured run: a set of client groups against the lab, from connect to disconnect.
 *
 *   configure the feed → start it → start the clients (each from the current head, so nothing
 *   they should see can slip past them) → warm-up → open the window (snapshot) → faults on
 *   schedule → snapshot → pause the feed → drain until every client holds the last message
 *   → snapshot → stop the clients.
 *
 * Two measurements, each with its own window:
 * - delivery and latency: the seqs published between open and pause (feed-window.ts); the drain
 *   lets a short poll pick the tail up, so every one of them is accounted for;
 * - cost (requests, bytes, server CPU): a steady state from open to pause, divided by the
 *   messages received in that same time. Dividing by the published seqs instead would charge
 *   a short poll's first answer (carrying messages from before the window) or its drain polls
 *   to messages they did not carry: +20 % requests per message at a 5 s window and T = 1 s.
 */

import type { ControlClient } from '../client/control.js';
import { FEED_LIMITS } from '../contract/index.js';
import { ClassPages, type PageLoadSummary } from './class-pages.js';
import type { FetchChoice, GroupSnapshot } from './clients/group.js';
import { type ClassroomDef, clientId, type FaultDef, type GroupSpec, pagesOf, type RunSpec } from './define.js';
import { type FaultContext, inject } from './faults.js';
import { FeedWindow } from './feed-window.js';
import type { LabUnderTest } from './lab-under-test.js';
import { loopDelayMonitor, loopDelayMs } from './loop-delay.js';
import { summarizeGroup } from './measure.js';
import type { Progress } from './progress.js';
import { Publisher } from './publisher.js';
import { RemoteGroup } from './remote-group.js';
import { ServerCounters, zeroCounters } from './server-counters.js';
import type { Summary, TransportSummary } from './summary.js';

export interface PointResult {
  /** Per group name. */
  groups: Map<string, { spec: GroupSpec; summary: TransportSummary }>;
  /** The server over the window (feed running, counters on). */
  cost: { cpuMs: number; rssMaxBytes: number };
  phases: Summary['phases'];
  runnerCpuMs: number;
  /** The runner main thread's event-loop delay over the window, ms. */
  runnerLoopDelayMs: { p50: number; p99: number; max: number };
  /** Distinct messages the clients received while the counters ran (the per-message divisor). */
  counted: number;
  /** The runner's own publishes (arrivals `even`/`poisson`), null when the server's ticker published. */
  publishes: { published: number; failed: number } | null;
  /** A classroom scenario's student pages (stats streams, reports, class view), else null. */
  pages: PageLoadSummary | null;
}

export interface PointOptions {
  lab: LabUnderTest;
  spec: RunSpec;
  faults: FaultDef[];
  progress: Progress;
  /** Run start, for the phases' times (performance.now()). */
  runStartedAt: number;
  label: string;
  fetch: FetchChoice;
  /** A classroom scenario: student pages beside the lanes (scenarios/class-pages.ts). */
  classroom?: Required<ClassroomDef> | null;
}

/** After the window, wait at most this long beyond one poll interval for clients to catch up. */
const DRAIN_MARGIN_MS = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

export async function runPoint(options: PointOptions): Promise<PointResult> {
  const { lab, spec, progress, label } = options;
  const phases: Summary['phases'] = [];
  const window = new FeedWindow();
  const at = () => performance.now() - options.runStartedAt;

  let phaseStart = at();
  lab.meter.startPhase();
  const endPhase = (name: string) => {
    const cost = lab.meter.endPhase();
    phases.push({ name: `${label}${name}`, startMs: phaseStart, endMs: at(), ...cost });
    phaseStart = at();
    lab.meter.startPhase();
    return cost;
  };

  // The feed, paused while everything is set up.
  const { feed } = spec;
  const publisher =
    feed.arrivals === 'ticker' ? null : new Publisher(lab.api, feed.arrivals, feed.rate, feed.payloadBytes);
  // The ticker's settings even when the runner publishes: they are what GET /api/feed shows.
  const configure = (api: ControlClient) =>
    api.setFeed({
      rate: feed.rate,
      payloadBytes: Math.max(FEED_LIMITS.minPayloadBytes, feed.payloadBytes),
      mode: feed.mode,
      running: false,
    });
  const startFeed = async (api: ControlClient) => {
    if (publisher) {
      publisher.follow(api, (await api.feed()).head);
      publisher.start();
    } else {
      await api.setFeed({ running: true });
    }
  };
  /** Stops publishing; the answer is the final head. */
  const pauseFeed = async (api: ControlClient) => {
    if (publisher) {
      await publisher.stop();
      return api.feed();
    }
    return api.setFeed({ running: false });
  };

  let state = await configure(lab.api);
  const cursor = { epoch: state.epoch, seq: state.head };
  const groups = await Promise.all(spec.groups.map((g) => RemoteGroup.start(g, lab.port, cursor, options.fetch)));
  const unfollow = groups.map((g) => lab.follow((port) => g.setUpstream(port)));
  let pages: ClassPages | null = null;
  try {
    progress.phase(`${label}warm-up`);
    await startFeed(lab.api);
    if (options.classroom && lab.instructorToken !== null) {
      const count = pagesOf(spec);
      pages = await ClassPages.start({
        url: lab.url,
        instructorToken: lab.instructorToken,
        statsIntervalMs: options.classroom.statsIntervalMs,
        lanes: Array.from({ length: count }, (_, i) =>
          Object.fromEntries(spec.groups.map((g) => [g.transport, clientId(g, i)])),
        ),
      });
    }
    const started = Promise.all(groups.map((g) => g.start()));
    const spread = Math.max(0, ...spec.groups.map((g) => g.startSpreadMs));
    await Promise.all([started, sleep(Math.max(spec.warmupMs, spread + 250))]);
    endPhase('warm-up');

    // The window opens with the feed running: counters from here to the pause are a steady
    // state, and the messages they are divided by are those received in that same time.
    const longestPoll = Math.max(0, ...spec.groups.map((g) => (g.transport === 'short-poll' ? g.pollIntervalMs : 0)));
    const server = new ServerCounters(groups);
    state = await lab.api.feed();
    window.open(state.epoch, state.head, now());
    // The clients' socket counts and the server's own are read at once, at both ends of the window:
    // read one after the other, a busy machine put seconds of traffic between them (smoke's "bytes
    // agree within 5 %" then failed by 5–30 % under a load average of 20).
    const [startSnaps] = await Promise.all([Promise.all(groups.map((g) => g.snapshot())), server.begin(lab.api)]);
    await Promise.all(groups.map((g) => g.measuring(true)));
    pages?.measure(true);
    const countFrom = performance.now();
    const cpuStart = process.cpuUsage();
    const loopDelay = loopDelayMonitor();
    loopDelay.enable();
    progress.phase(`${label}measure`);

    const context: FaultContext = { lab, groups, window, server, progress, configure, pauseFeed, startFeed };
    const faultsDone = options.faults.map((fault) => sleep(fault.atMs).then(() => inject(fault, context)));
    const until = performance.now() + spec.durationMs;
    while (performance.now() < until) {
      await sleep(Math.min(500, until - performance.now()));
      const into = spec.durationMs - Math.max(0, until - performance.now());
      progress.status(`${await statusLine(groups)} ${seconds(into)} into the ${seconds(spec.durationMs)} window`);
    }
    await Promise.all(faultsDone);

    // The window closes: stop counting while the feed still runs (both ends of the count are
    // then alike: a message in flight at either end is as likely), pause, then let every client
    // catch up with the last message (for the delivery audit only).
    let countedMs = 0;
    const [countSnaps, serverCounters] = await Promise.all([
      Promise.all(groups.map((g) => g.snapshot())).then((snaps) => {
        countedMs = performance.now() - countFrom;
        return snaps;
      }),
      server.end(lab.api),
    ]);
    state = await pauseFeed(lab.api);
    await Promise.all(groups.map((g) => g.measuring(false)));
    pages?.measure(false);
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuStart);
    window.close(state.epoch, state.head);
    const measureCost = endPhase('measure');
    progress.phase(`${label}drain`);
    // The live status is throttled (a plain log prints it once per 5 s: once, near the window's
    // start, while clients may still be connecting): say where the crowd stood as the window shut.
    progress.log(`${label}window closed: ${await statusLine(groups)}`);
    const final = state;
    const drainUntil = performance.now() + longestPoll + DRAIN_MARGIN_MS;
    const allCaughtUp = async () =>
      (await Promise.all(groups.map((g) => g.caughtUp(final.epoch, final.head)))).every(Boolean);
    while (!(await allCaughtUp()) && performance.now() < drainUntil) await sleep(25);
    const auditSnaps = await Promise.all(groups.map((g) => g.snapshot()));
    endPhase('drain');

    await Promise.all(groups.map((g) => g.stop()));
    const ranges = window.closedRanges;
    const results = await Promise.all(
      groups.map((g, i) =>
        g.result(ranges, window.startedAt, (startSnaps[i] as GroupSnapshot).at, (countSnaps[i] as GroupSnapshot).at),
      ),
    );

    const out = new Map<string, { spec: GroupSpec; summary: TransportSummary }>();
    let counted = 0;
    groups.forEach((g, i) => {
      const summary = summarizeGroup({
        spec: g.spec,
        result: results[i] as Awaited<ReturnType<RemoteGroup['result']>>,
        start: startSnaps[i] as GroupSnapshot,
        counted: countSnaps[i] as GroupSnapshot,
        audited: auditSnaps[i] as GroupSnapshot,
        server: serverCounters.get(g.spec.name) ?? zeroCounters(),
        feed: final,
        countedMs,
      });
      counted += summary.countedMessages ?? 0;
      out.set(g.spec.name, { spec: g.spec, summary });
    });
    return {
      groups: out,
      cost: measureCost,
      phases,
      runnerCpuMs: (cpu.user + cpu.system) / 1000,
      runnerLoopDelayMs: loopDelayMs(loopDelay),
      counted,
      publishes: publisher ? { published: publisher.published, failed: publisher.failed } : null,
      pages: pages?.summary() ?? null,
    };
  } finally {
    pages?.stop();
    for (const stop of unfollow) stop();
    await Promise.all(groups.map((g) => g.close()));
    await sleep(100); // let the server see the closes before the next run
  }
}

async function statusLine(groups: RemoteGroup[]): Promise<string> {
  const open = (await Promise.all(groups.map((g) => g.openClients()))).reduce((a, b) => a + b, 0);
  const total = groups.reduce((sum, g) => sum + g.spec.count, 0);
  return `${open}/${total} clients connected`;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
