/**
 * Soak: `npm run soak -- --minutes 30`. One lab server (its own process, V8 inspector on) and a
 * fleet of real clients of every transport (default 1 000, mixed as scripts/reliability/fleet.ts
 * says), a feed of 20 msg/s, and churn: 1 % of the clients leave per minute and as many new ones
 * arrive. Sampled every 10 s from outside the server's code: open file descriptors and RSS
 * (/proc), event-loop delay (a histogram in the server, read through the inspector), heap in use
 * after a full GC (every 30 s).
 *
 * Pass = heap slope ≈ 0 after warm-up (|slope| ≤ 128 KiB/min), open fds back to the baseline
 * once the clients are gone, server loop-delay p99 < 100 ms, and every client's audit clean (no
 * duplicate, no reordering, nothing lost silently; a loss a reset notice announced — a client away
 * longer than the retention — is the documented answer and counted apart). The clients run in
 * `--processes` child processes (default 2), never in this one. Writes results/soak/<time>/ (summary.json, PNG charts,
 * report.html) and prints the figures. Exit 0 pass, 1 fail.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createProgress } from '../../scenarios/progress.js';
import { ROOT } from '../../tools/child-process.js';
import { control, type FleetTotals } from '../reliability/fleet.js';
import { openFds, rssBytes, slope } from '../reliability/proc.js';
import { COLORS, printFigures, type ReportFigure, writeReport } from '../reliability/report.js';
import { startInspectedLab } from '../reliability/server.js';
import { type ClientProcess, fdLimits, forkClients } from '../reliability/storm.js';
import type { StormClientsSample } from '../reliability/storm-clients.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    clients: { type: 'string', default: '1000' },
    processes: { type: 'string', default: '2' },
    rate: { type: 'string', default: '20' },
    'churn-percent': { type: 'string', default: '1' },
    retention: { type: 'string', default: '2000' },
    'sample-seconds': { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const clients = Number(values.clients);
const processCount = Number(values.processes);
const rate = Number(values.rate);
const churnPercent = Number(values['churn-percent']);
const retention = Number(values.retention);
const sampleMs = Number(values['sample-seconds']) * 1000;
for (const [name, value] of Object.entries({ minutes, clients, processCount, rate, retention, sampleMs })) {
  if (!(value > 0)) throw new Error(`soak: --${name} must be a positive number`);
}
const durationMs = minutes * 60_000;
const HEAP_EVERY = 3; // samples: a forced full GC every 30 s, not every 10
const HEAP_SLOPE_LIMIT = 128 * 1024; // bytes per minute
const LOOP_P99_LIMIT_MS = 100;
const FD_TOLERANCE = 0;

const startedAt = new Date();
const { server, inspector } = await startInspectedLab(['--retention', String(retention)]);
const progress = createProgress(durationMs);
const pid = server.pid;
// Baseline: the server alone, before any client (the inspector's socket included).
await new Promise((r) => setTimeout(r, 1_000));
const baseline = { fds: openFds(pid) ?? 0, heap: await inspector.heapAfterGc(), rss: rssBytes(pid) ?? 0 };
progress.log(
  `server pid ${pid} at ${server.url}: baseline ${baseline.fds} fds, heap ${(baseline.heap / 2 ** 20).toFixed(1)} MiB`,
);

// The clients live in child processes of their own (scripts/reliability/storm-clients.ts, straight
// to the server, no proxy): an earlier soak ran 1 000 clients in this process, beside the sampling,
// and could not tell a starved client side from a slow server. Each sample now carries the client
// processes' own loop delay.
const port = Number(new URL(server.url).port);
const perProcess = Math.ceil(clients / processCount);
const { soft } = fdLimits();
const processes: ClientProcess[] = [];
for (let i = 0; i < processCount && i * perProcess < clients; i++) {
  const share = Math.min(perProcess, clients - i * perProcess);
  processes.push(
    forkClients(
      { upstreamPort: port, clients: share, prefix: `soak${i}`, seed: i + 1, pollIntervalMs: 1_000, proxy: false },
      share * 2 + 256,
      soft,
    ),
  );
}
await Promise.all(processes.map((p) => p.ready));
progress.phase(`starting ${clients} clients in ${processes.length} processes`);
await Promise.all(processes.map((p) => p.call('start', 500 / processes.length)));
type Totals = { all: FleetTotals; byTransport: Partial<Record<string, FleetTotals>> };
const sumTotals = (parts: Totals[]): Totals => {
  const add = (a: FleetTotals | undefined, b: FleetTotals | undefined): FleetTotals => {
    const out = { ...(a ?? b) } as FleetTotals;
    if (a && b) for (const k of Object.keys(out) as (keyof FleetTotals)[]) out[k] = a[k] + b[k];
    return out;
  };
  const byTransport: Totals['byTransport'] = {};
  for (const p of parts) for (const [t, v] of Object.entries(p.byTransport)) byTransport[t] = add(byTransport[t], v);
  return { all: parts.map((p) => p.all).reduce((a, b) => add(a, b)), byTransport };
};
const fleetTotals = async (): Promise<Totals> =>
  sumTotals(await Promise.all(processes.map((p) => p.call<Totals>('totals'))));
await control(`${server.url}/api/feed`, 'PUT', { rate, running: true });
progress.phase(`soaking ${minutes} min at ${rate} msg/s, churn ${churnPercent} %/min`);

interface Sample {
  t: number;
  fds: number | null;
  rss: number | null;
  heap: number | null;
  /** Null: no loop-delay sample in this window (the server's loop never reached its timer). */
  loopP99: number | null;
  loopMax: number | null;
  connected: number;
  delivered: number;
  /** The machine's 1-minute load average: the server shares 2 cores with everything else running. */
  load1: number;
  /** The worst client process's loop delay over the window (they are not the server, but may starve). */
  clientLoopP99: number;
}
const samples: Sample[] = [];
const t0 = performance.now();
const churnEveryMs = 60_000 / Math.max(1e-9, (clients * churnPercent) / 100);
let churned = 0;
const churn = setInterval(() => {
  const target = processes[Math.floor(Math.random() * processes.length)];
  target?.call('churn').catch(() => {});
  churned += 1;
}, churnEveryMs);

let n = 0;
while (performance.now() - t0 < durationMs) {
  await new Promise((r) => setTimeout(r, Math.min(sampleMs, durationMs - (performance.now() - t0))));
  n += 1;
  // A sample the starved server does not answer in time is recorded as missing, not fatal.
  const loop = await inspector.loopDelay().catch(() => null);
  const heap = n % HEAP_EVERY === 0 ? await inspector.heapAfterGc().catch(() => null) : null;
  const { all: totals } = await fleetTotals();
  const clientSamples = await Promise.all(processes.map((p) => p.call<StormClientsSample>('sample')));
  const sample: Sample = {
    t: (performance.now() - t0) / 1000,
    fds: openFds(pid),
    rss: rssBytes(pid),
    heap,
    loopP99: loop?.windowP99 ?? null,
    loopMax: loop?.windowMax ?? null,
    connected: totals.connected,
    delivered: totals.delivered,
    load1: loadavg()[0] ?? 0,
    clientLoopP99: Math.max(0, ...clientSamples.map((c) => c.loopP99Ms)),
  };
  samples.push(sample);
  progress.status(
    `${sample.t.toFixed(0)} s: ${totals.connected}/${totals.members} connected, ${sample.fds} fds, rss ${((sample.rss ?? 0) / 2 ** 20).toFixed(0)} MiB, loop p99 ${loop?.windowP99?.toFixed(1) ?? 'no sample'} ms${heap ? `, heap ${(heap / 2 ** 20).toFixed(1)} MiB` : ''}`,
  );
}
clearInterval(churn);
// The audits count holes between what each client received, so they are read while the feed still
// runs; the loop delay too. Then the clients leave first and only then is the server asked to
// pause: an overloaded server may not answer a new connection while 1 000 clients are attached
// (the 20:10 run died on exactly that request).
const { all: totals, byTransport: auditByTransport } = await fleetTotals();
const loopRun = await inspector.loopDelay();
progress.phase('stopping every client; waiting for the fds to come back');
await Promise.allSettled(
  processes.map((p) => Promise.race([p.call('stop'), new Promise((r) => setTimeout(r, 10_000))])),
);
for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
const head = await control(`${server.url}/api/feed`, 'PUT', { running: false })
  .then((feed) => (feed as { head?: number }).head ?? -1)
  .catch(() => -1);
let fdsAfter = openFds(pid) ?? -1;
for (let waited = 0; waited < 20_000 && fdsAfter > baseline.fds + FD_TOLERANCE; waited += 250) {
  await new Promise((r) => setTimeout(r, 250));
  fdsAfter = openFds(pid) ?? -1;
}
const heapAfter = await inspector.heapAfterGc();
progress.stop();
inspector.close();
await server.stop('SIGTERM');

const warmupS = Math.max(retention / rate, (durationMs / 1000) * 0.1);
const heapPoints = samples
  .filter((s) => s.heap !== null && s.t >= warmupS)
  .map((s) => ({ x: s.t / 60, y: s.heap as number }));
const heapSlope = slope(heapPoints); // bytes per minute
const fdsDuring = samples.map((s) => s.fds ?? 0);
const label = `${minutes} min`;
const figures: ReportFigure[] = [
  { name: 'run length', value: `${(samples.at(-1)?.t ?? 0).toFixed(0)} s (${label} asked)` },
  { name: 'clients (mixed)', value: `${clients}; churned ${churned} (${churnPercent} %/min)` },
  { name: 'feed', value: `${rate} msg/s, ${head} messages published` },
  {
    name: 'heap slope after warm-up',
    value: `${(heapSlope / 1024).toFixed(1)} KiB/min over ${heapPoints.length} samples after ${warmupS.toFixed(0)} s (limit ±${HEAP_SLOPE_LIMIT / 1024})`,
    pass: Math.abs(heapSlope) <= HEAP_SLOPE_LIMIT && heapPoints.length >= 2,
  },
  {
    name: 'open fds',
    value: `baseline ${baseline.fds}, during ${Math.min(...fdsDuring)}–${Math.max(...fdsDuring)}, after the clients left ${fdsAfter}`,
    pass: fdsAfter >= 0 && fdsAfter <= baseline.fds + FD_TOLERANCE,
  },
  {
    name: 'server loop delay',
    value: `p50 ${loopRun.runP50.toFixed(1)} ms, p99 ${loopRun.runP99.toFixed(1)} ms, max ${loopRun.runMax.toFixed(0)} ms (limit p99 < ${LOOP_P99_LIMIT_MS})`,
    pass: loopRun.runP99 < LOOP_P99_LIMIT_MS,
  },
  {
    name: 'sample windows with no loop-delay sample',
    value: `${samples.filter((s) => s.loopP99 === null).length} of ${samples.length} (the server's loop never reached its 10 ms timer in those windows)`,
  },
  {
    name: 'machine load (1-min average, 2 cores)',
    value: `mean ${(samples.reduce((a, s) => a + s.load1, 0) / Math.max(1, samples.length)).toFixed(1)}, max ${Math.max(...samples.map((s) => s.load1)).toFixed(1)}`,
  },
  {
    name: 'RSS',
    value: `baseline ${(baseline.rss / 2 ** 20).toFixed(0)} MiB, max ${(Math.max(...samples.map((s) => s.rss ?? 0)) / 2 ** 20).toFixed(0)} MiB`,
  },
  {
    name: 'heap after GC',
    value: `baseline ${(baseline.heap / 2 ** 20).toFixed(1)} MiB, end (clients gone) ${(heapAfter / 2 ** 20).toFixed(1)} MiB`,
  },
  {
    name: 'delivery audits (all clients)',
    value: `${totals.delivered} delivered, ${totals.duplicates} duplicates, ${totals.reordered} reordered, ${totals.lostSilently} lost silently; ${totals.lost - totals.lostSilently} lost explicitly (announced by ${totals.resets} reset notices)`,
    pass: totals.duplicates === 0 && totals.reordered === 0 && totals.lostSilently === 0,
  },
  {
    name: 'delivery audits per transport',
    value: Object.entries(auditByTransport)
      .map(
        ([t, a]) =>
          `${t}: ${a?.delivered} delivered, ${a?.lostSilently} silent, ${(a?.lost ?? 0) - (a?.lostSilently ?? 0)} explicit / ${a?.resets} resets`,
      )
      .join('; '),
  },
  {
    name: 'client processes: loop delay p99 (worst window)',
    value: `${Math.max(0, ...samples.map((s) => s.clientLoopP99)).toFixed(0)} ms (${processes.length} processes)`,
  },
];
const passed = figures.every((f) => f.pass !== false);
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const dir = values.out ?? `${ROOT}results/soak/${stamp}`;
const subtitle = [
  `${startedAt.toISOString()}`,
  `${clients} clients`,
  `${rate} msg/s`,
  `churn ${churnPercent} %/min`,
  `run ${label}`,
];
await writeReport(
  dir,
  `Soak: ${label}, ${clients} clients, ${rate} msg/s`,
  `npm run soak -- --minutes ${minutes} --clients ${clients} --rate ${rate}. Server sampled from outside its code (/proc and the V8 inspector). ${passed ? 'PASS' : 'FAIL'}.`,
  {
    scenario: 'soak',
    startedAt: startedAt.toISOString(),
    params: { minutes, clients, processes: processes.length, rate, churnPercent, retention, sampleMs },
    baseline,
    samples,
    fdsAfter,
    heapAfter,
    heapSlopeBytesPerMin: heapSlope,
    warmupS,
    loopDelay: loopRun,
    audit: totals,
    auditByTransport,
    churned,
    head,
    figures,
    passed,
  },
  figures,
  [
    {
      file: 'memory.png',
      title: 'Server memory: heap after GC and RSS',
      subtitle,
      xTitle: 'minutes',
      yTitle: 'MiB',
      series: [
        {
          label: 'heap after full GC',
          color: COLORS.blue,
          points: samples.filter((s) => s.heap !== null).map((s) => ({ x: s.t / 60, y: (s.heap as number) / 2 ** 20 })),
        },
        {
          label: 'RSS',
          color: COLORS.orange,
          points: samples.map((s) => ({ x: s.t / 60, y: (s.rss ?? 0) / 2 ** 20 })),
        },
      ],
    },
    {
      file: 'fds-and-clients.png',
      title: 'Open file descriptors and connected clients',
      subtitle,
      xTitle: 'minutes',
      yTitle: 'count',
      series: [
        {
          label: 'server open fds',
          color: COLORS.purple,
          points: samples.map((s) => ({ x: s.t / 60, y: s.fds ?? 0 })),
        },
        {
          label: 'clients connected',
          color: COLORS.green,
          points: samples.map((s) => ({ x: s.t / 60, y: s.connected })),
          dashed: true,
        },
      ],
      guides: [{ label: `baseline fds + clients (${baseline.fds + clients})`, y: baseline.fds + clients }],
    },
    {
      file: 'loop-delay.png',
      title: 'Server event-loop delay per sample window',
      subtitle,
      xTitle: 'minutes',
      yTitle: 'ms',
      series: [
        {
          label: 'p99',
          color: COLORS.blue,
          points: samples.flatMap((s) => (s.loopP99 === null ? [] : [{ x: s.t / 60, y: s.loopP99 }])),
        },
        {
          label: 'max',
          color: COLORS.grey,
          points: samples.flatMap((s) => (s.loopMax === null ? [] : [{ x: s.t / 60, y: s.loopMax }])),
          dashed: true,
        },
        {
          label: 'machine load (1-min avg, right)',
          color: COLORS.orange,
          points: samples.map((s) => ({ x: s.t / 60, y: s.load1 })),
          axis: 'y2',
        },
      ],
      y2Title: 'load average',
      guides: [{ label: `limit p99 ${LOOP_P99_LIMIT_MS} ms`, y: LOOP_P99_LIMIT_MS }],
    },
  ],
);
printFigures(figures);
console.log(`${passed ? 'PASS' : 'FAIL'}: ${dir}/report.html`);
process.exit(passed ? 0 : 1);
