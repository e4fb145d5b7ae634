/**
 * `npm run storm` — the reconnect storm (scripts/reliability/storm.ts): 3 000 clients of every
 * transport dropped at once by a server SIGKILL + restart, then by a proxy resetting every
 * connection. Prints the seed (`--seed S` replays each client's backoff draws), a ✓/✗ per
 * criterion and drop, and writes results/storm/<time>/ (summary.json, recovery.png,
 * server-memory.png, report.html). Exit 0 pass, 1 fail, 3 the run broke.
 *
 *   npm run storm -- [--clients 3000] [--processes 2] [--rate 5] [--seed S] [--faults kill,proxy] [--out DIR]
 */
import { parseArgs } from 'node:util';
import { TRANSPORTS } from '../../contract/index.js';
import { createProgress } from '../../scenarios/progress.js';
import { ROOT } from '../../tools/child-process.js';
import { COLORS, type LineChart, printFigures, type ReportFigure, writeReport } from '../reliability/report.js';
import { runStorm, STORM_DEFAULTS, type StormFault, type StormResult } from '../reliability/storm.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: String(STORM_DEFAULTS.clients) },
    processes: { type: 'string', default: String(STORM_DEFAULTS.processes) },
    rate: { type: 'string', default: String(STORM_DEFAULTS.rate) },
    seed: { type: 'string' },
    faults: { type: 'string', default: STORM_DEFAULTS.faults.join(',') },
    /** Only these transports, equal shares (a diagnosis; the storm itself is mixed). */
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const clients = Number(values.clients);
const processes = Number(values.processes);
const rate = Number(values.rate);
const seed = values.seed === undefined ? Date.now() % 1_000_000_000 : Number(values.seed);
const faults = values.faults.split(',') as StormFault[];
for (const [name, value] of Object.entries({ clients, processes, rate })) {
  if (!(value > 0)) throw new Error(`storm: --${name} must be a positive number`);
}
if (!Number.isInteger(seed)) throw new Error('storm: --seed must be an integer');
for (const f of faults) if (f !== 'kill' && f !== 'proxy') throw new Error(`storm: unknown fault ${f} (kill, proxy)`);

console.log(`storm seed ${seed} (replay: npm run storm -- --seed ${seed} --clients ${clients})`);
const progress = createProgress(60_000 * faults.length);
let result: StormResult;
try {
  result = await runStorm({
    ...STORM_DEFAULTS,
    clients,
    processes,
    rate,
    seed,
    faults,
    ...(values.only === undefined
      ? {}
      : { mix: Object.fromEntries(TRANSPORTS.map((t) => [t, values.only?.split(',').includes(t) ? 1 : 0])) }),
    log: (line) => progress.log(line),
    status: (line) => progress.status(line),
  });
} catch (error) {
  progress.stop();
  console.error(`storm: the run broke: ${(error as Error).stack ?? error}`);
  process.exit(3);
}
progress.stop();

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const label = (f: StormFault) => (f === 'kill' ? 'server SIGKILL + restart' : 'proxy resets every connection');
const figures: ReportFigure[] = [
  {
    name: 'clients',
    value: `${clients} in ${processes} client processes (mixed: 4 WS : 4 SSE : 1 long poll : 1 short poll : 1 Socket.IO), ${rate} msg/s`,
  },
  {
    name: 'machine load at start (1/5/15 min, 2 cores)',
    value: result.loadAtStart.map((l) => l.toFixed(2)).join(' / '),
  },
  {
    name: 'file descriptors',
    value: `soft ${result.fdLimits.soft}, hard ${result.fdLimits.hard}; a client process needs ${result.fdLimits.clientProcessNeeds}${result.fdLimits.raised ? ' (raised with ulimit -n)' : ''}, the server ${result.fdLimits.serverNeeds}`,
  },
  { name: 'server RSS, steady state', value: `${mib(result.steadyRssBytes)} (bound ${mib(result.rssBoundBytes)})` },
];
for (const drop of result.drops) {
  for (const c of drop.criteria)
    figures.push({ name: `${label(drop.fault)}: ${c.text}`, value: c.detail, pass: c.pass });
  const rows = TRANSPORTS.flatMap((t) => {
    const r = drop.byTransport[t];
    return r
      ? [
          `${t} ${r.members}: p99 ${(r.backMsP99 / 1000).toFixed(2)} s, resumed ${r.resumed}, reset ${r.reset}, gapped ${r.silentlyGapped}`,
        ]
      : [];
  });
  figures.push({ name: `${label(drop.fault)}: per transport`, value: rows.join('; ') });
}
const worstClientLoop = Math.max(0, ...result.samples.map((s) => s.clientLoopP99Ms));
figures.push({
  name: 'client processes (are they the bottleneck?)',
  value: `loop-delay p99 worst sample ${worstClientLoop.toFixed(0)} ms; CPU max ${Math.max(0, ...result.samples.map((s) => s.clientCpuPercent)).toFixed(0)} % of one core (all client processes)`,
});

const stamp = result.startedAt.replace(/[:.]/g, '-');
const dir = values.out ?? `${ROOT}results/storm/${stamp}`;
const subtitle = [
  result.startedAt,
  `${clients} clients`,
  `${rate} msg/s`,
  `seed ${seed}`,
  `load ${result.loadAtStart[0]?.toFixed(1)}`,
];
const charts: LineChart[] = [
  {
    file: 'recovery.png',
    title: 'Recovery: clients working again after each drop',
    subtitle,
    xTitle: 'seconds since the drop',
    yTitle: 'clients working (up and reached by the server since the drop)',
    series: [
      ...result.drops.map((d, i) => ({
        label: label(d.fault),
        color: i === 0 ? COLORS.blue : COLORS.orange,
        points: d.curve,
      })),
      {
        label: `${STORM_DEFAULTS.backWithinMs / 1000} s limit`,
        color: COLORS.red,
        dashed: true,
        points: [
          { x: STORM_DEFAULTS.backWithinMs / 1000, y: 0 },
          { x: STORM_DEFAULTS.backWithinMs / 1000, y: clients },
        ],
      },
    ],
    guides: [{ label: `all ${clients} clients`, y: clients }],
  },
  {
    file: 'server-memory.png',
    title: 'Server RSS and open fds over the whole run',
    subtitle,
    xTitle: 'seconds since the start',
    yTitle: 'MiB',
    y2Title: 'open fds',
    series: [
      {
        label: 'server RSS',
        color: COLORS.blue,
        points: result.samples.flatMap((s) =>
          s.serverRssBytes === null ? [] : [{ x: s.t, y: s.serverRssBytes / 2 ** 20 }],
        ),
      },
      {
        label: 'server open fds (right)',
        color: COLORS.purple,
        axis: 'y2',
        points: result.samples.flatMap((s) => (s.serverFds === null ? [] : [{ x: s.t, y: s.serverFds }])),
      },
    ],
    guides: [{ label: `RSS bound ${mib(result.rssBoundBytes)}`, y: result.rssBoundBytes / 2 ** 20 }],
  },
];
await writeReport(
  dir,
  `Reconnect storm: ${clients} clients, ${result.drops.map((d) => label(d.fault)).join(', then ')}`,
  `npm run storm -- --clients ${clients} --processes ${processes} --rate ${rate} --seed ${seed}. A client is "back" once it is up again and the server has reached it (a message or a reset notice) after the drop; "resumed" = nothing missing, "reset" = a reset notice said what was missed, "silently gapped" = a hole no notice covered. ${result.passed ? 'PASS' : 'FAIL'}.`,
  { scenario: 'storm', seed, ...result },
  figures,
  charts,
);
printFigures(figures);
console.log(`${result.passed ? 'PASS' : 'FAIL'}: ${dir}/report.html`);
process.exit(result.passed ? 0 : 1);
