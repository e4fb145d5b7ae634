/** The classroom scenario's verdict per class size (scenarios/class-capacity.ts): one row per size. */
import { TRANSPORTS } from '../../../contract/index.js';
import type { Summary } from '../../summary.js';
import { formatCount, formatValue } from './format.js';
import { type Cell, type Column, left, right, type TableModel } from './model.js';

/** The failures in a few words (the whole sentences are in summary.json's `reasons`). */
function shortReasons(reasons: string[]): string {
  const over = reasons.filter((r) => r.includes(' p99 ')).map((r) => r.split(' ')[0]);
  const lost = reasons.filter((r) => / lost \d/.test(r)).map((r) => r.split(' ')[0]);
  const silent = reasons.filter((r) => r.endsWith('received nothing')).map((r) => r.split(' ')[0]);
  const pages = reasons.filter((r) => r.includes('reports failed') || r.startsWith('stats streams'));
  return [
    over.length > 0 ? `slow: ${over.join(', ')}` : '',
    lost.length > 0 ? `lost: ${lost.join(', ')}` : '',
    silent.length > 0 ? `silent: ${silent.join(', ')}` : '',
    pages.length > 0 ? 'pages not served' : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

export function classCapacityTable(summary: Summary): TableModel | null {
  const capacity = summary.classCapacity;
  if (!capacity || capacity.verdicts.length === 0) return null;
  const transports = TRANSPORTS.filter((t) => capacity.verdicts.some((v) => v.lanes[t] !== undefined));
  const columns: Column[] = [
    right('pages'),
    left('verdict'),
    ...transports.map((t) => right(`${t} p99`)),
    right('reports'),
    right('stats events'),
    right('server CPU'),
    right('ms/s per page'),
  ];
  const rows: Cell[][] = capacity.verdicts.map((v) => [
    { text: formatCount(v.pages) },
    v.pass ? { text: '✓', tone: 'good' } : { text: `✗ ${shortReasons(v.reasons)}`, tone: 'bad' },
    ...transports.map((t): Cell => {
      const lane = v.lanes[t];
      if (!lane) return { text: '–' };
      return { text: formatValue(lane.p99), tone: lane.p99 <= lane.budgetMs ? undefined : 'bad' };
    }),
    { text: `${formatCount(v.pageLoad.reports)} (${formatCount(v.pageLoad.reportFailures)} failed)` },
    { text: `${formatCount(v.pageLoad.statsEvents)}/${formatCount(v.pageLoad.statsEventsExpected)}` },
    { text: `${formatValue(100 * v.serverCpuShare)} %` },
    { text: formatValue(v.serverCpuMsPerPagePerS) },
  ]);
  const largest = capacity.largestClass;
  const note = [
    `Largest class within budget: ${largest === null ? 'none' : formatCount(largest)} page(s) of ${formatCount(capacity.triedUpTo)} tried.`,
    `Budget: each lane's p99 event age (ms) within ${formatCount(capacity.budgetMs)} ms of its transport's floor (a short poll's is 0.99 × its interval), nothing lost, every report answered, stats streams at ≥ 90 % of their events.`,
    'Server CPU: share of one core over the window; per page: ms of server CPU per second per page.',
    'The simulated pages share the machine with the server, so this is a lower bound for the server alone.',
  ].join(' ');
  return { title: 'Classroom capacity', note, columns, rows };
}
