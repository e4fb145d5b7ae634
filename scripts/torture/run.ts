/**
 * `npm run torture` — 1 000 forced reconnects per transport (scripts/reliability/torture.ts), then
 * the verdict: every client ends with exactly 1…N. Prints the seed (`--seed S` replays its schedule),
 * a table, and writes results/torture/<time>/ (summary.json, a PNG of the forced reconnects over
 * time, report.html). Exit 0 pass, 1 fail.
 *
 *   npm run torture -- [--cuts 1000] [--seed S] [--rate 100] [--max-gap-ms 120] [--out DIR]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { createProgress } from '../../scenarios/progress.js';
import { ROOT } from '../../tools/child-process.js';
import { COLORS, printFigures, type ReportFigure, writeReport } from '../reliability/report.js';
import { runTorture } from '../reliability/torture.js';

const { values } = parseArgs({
  options: {
    cuts: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    rate: { type: 'string', default: '100' },
    'max-gap-ms': { type: 'string', default: '120' },
    transports: { type: 'string' },
    out: { type: 'string' },
  },
});
const transports = values.transports === undefined ? TRANSPORTS : (values.transports.split(',') as TransportName[]);
for (const t of transports) if (!TRANSPORTS.includes(t)) throw new Error(`torture: unknown transport ${t}`);
const cuts = Number(values.cuts);
const seed = values.seed === undefined ? Date.now() % 1_000_000_000 : Number(values.seed);
const rate = Number(values.rate);
const maxGapMs = Number(values['max-gap-ms']);
for (const [name, value] of Object.entries({ cuts, rate, maxGapMs })) {
  if (!(value > 0)) throw new Error(`torture: --${name} must be a positive number`);
}
if (!Number.isInteger(seed)) throw new Error('torture: --seed must be an integer');

const startedAt = new Date();
const loadAtStart = loadavg();
console.log(`torture seed ${seed} (replay: npm run torture -- --seed ${seed} --cuts ${cuts})`);
// The bar runs on cuts done (all transports together), not on time.
const total = cuts * transports.length;
const progress = createProgress(total);
let done = 0;
const perTransport: Record<string, number> = {};
const result = await runTorture({
  seed,
  cuts,
  rate,
  maxGapMs,
  transports,
  onStall: (transport, what) => progress.log(`${transport}: ${what}`),
  onCut: (transport, n) => {
    done += 1;
    perTransport[transport] = n;
    progress.status(
      `${done}/${total} forced reconnects — ${Object.entries(perTransport)
        .map(([t, k]) => `${t} ${k}`)
        .join(', ')}`,
    );
    if (done % Math.max(1, Math.floor(total / 20)) === 0) progress.log(`${done}/${total} forced reconnects`);
  },
});
progress.stop();

const figures: ReportFigure[] = [
  { name: 'seed', value: `${seed}` },
  {
    name: 'run',
    value: `${result.durationS.toFixed(0)} s, feed ${rate} msg/s, N = ${result.n}, waits between cuts uniform in [0, ${maxGapMs}) ms`,
  },
  {
    name: 'machine load (1-min average, 2 cores, shared)',
    value: `${loadAtStart[0]?.toFixed(1)} at the start, ${loadavg()[0]?.toFixed(1)} at the end`,
  },
  ...result.transports.map((t) => {
    const back = t.cutLog.flatMap((c) => (c.backMs === null ? [] : [c.backMs])).sort((a, b) => a - b);
    const at = (q: number) => back[Math.min(back.length - 1, Math.floor(q * back.length))] ?? 0;
    const slowest = t.cutLog.reduce<(typeof t.cutLog)[number] | undefined>(
      (a, c) => ((c.backMs ?? 0) > (a?.backMs ?? 0) ? c : a),
      undefined,
    );
    return {
      name: `${t.transport}: back after a cut`,
      value: `p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, max ${at(1).toFixed(0)} ms (after a ${slowest?.kind ?? '—'} cut at ${slowest?.t.toFixed(1) ?? '—'} s)`,
    };
  }),
  ...result.transports.map((t) => ({
    name: t.transport,
    value: `${t.cuts.server + t.cuts['proxy-reset'] + t.cuts['proxy-mid-chunk']} forced reconnects (server ${t.cuts.server}, proxy reset ${t.cuts['proxy-reset']}, proxy mid-chunk ${t.cuts['proxy-mid-chunk']}${t.transport === 'websocket' ? `, ${t.insideUnit} inside a frame` : t.transport === 'sse' ? `, ${t.insideUnit} inside an event` : ''}); cuts that met no live connection: server ${t.missed.server}, proxy reset ${t.missed['proxy-reset']}, proxy mid-chunk ${t.missed['proxy-mid-chunk']}; received ${t.check.received} of ${result.n}, first ${t.check.first}, last ${t.check.last}, ${t.check.duplicates} twice, ${t.check.reordered} reordered, ${t.check.gaps} missing, ${t.check.resets} resets`,
    pass: t.exact,
  })),
];
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const dir = values.out ?? `${ROOT}results/torture/${stamp}`;
const palette = [COLORS.blue, COLORS.orange, COLORS.green, COLORS.purple, COLORS.red];
await writeReport(
  dir,
  `Reconnect torture: ${cuts} forced reconnects per transport`,
  `npm run torture -- --seed ${seed} --cuts ${cuts} --rate ${rate} --max-gap-ms ${maxGapMs}. One client per transport, each behind its own TCP proxy; cuts at seeded random moments: the server destroys the client's sockets, the proxy resets them, or the proxy relays the next server chunk only up to a seeded offset inside it and resets. Pass = each client ends with exactly 1…N. ${result.passed ? 'PASS' : 'FAIL'}.`,
  { scenario: 'torture', startedAt: startedAt.toISOString(), loadAverageAtStart: loadAtStart, ...result, figures },
  figures,
  [
    {
      file: 'reconnects.png',
      title: 'Forced reconnects over time, per transport',
      subtitle: [startedAt.toISOString(), `seed ${seed}`, `${rate} msg/s`, `N = ${result.n}`],
      xTitle: 'seconds',
      yTitle: 'forced reconnects',
      series: result.transports.map((t, i) => ({
        label: `${t.transport} (${t.exact ? 'exactly 1…N' : 'NOT exact'})`,
        color: palette[i % palette.length] as string,
        points: t.cutTimes.map((x, k) => ({ x, y: k + 1 })),
      })),
    },
  ],
);
printFigures(figures);
console.log(`${result.passed ? 'PASS' : 'FAIL'}: ${dir}/report.html`);
process.exit(result.passed ? 0 : 1);
