/**
 * The storm table (summary.storm, scenarios/storm/): one row per drop and transport — members, back
 * within the limit, the p99 way back, resumed / reset / silently gapped, duplicates and reorders.
 */
import { TRANSPORTS } from '../../../contract/index.js';
import type { Summary } from '../../summary.js';
import { formatCount, formatValue } from './format.js';
import { type Cell, left, right, shouldBeZero, type TableModel } from './model.js';

const LABEL = { kill: 'server SIGKILL + restart', proxy: 'proxies reset all' } as const;
const seconds = (ms: number | null) => (ms === null ? '–' : formatValue(ms / 1000));

export function stormTable(summary: Summary): TableModel | null {
  const r = summary.storm;
  if (!r) return null;
  const { clients, processes, rate, seed, backWithinMs } = r.settings;
  const rows: Cell[][] = [];
  for (const d of r.drops) {
    const after =
      d.fault === 'kill'
        ? `new server listening after ${seconds(d.serverBackMs)} s`
        : `${formatCount(d.connectionsReset)} connections reset`;
    rows.push([
      { text: `${LABEL[d.fault]} (${after})` },
      { text: 'all' },
      { text: formatCount(d.members) },
      {
        text: `${formatCount(d.backWithinLimit)}/${formatCount(clients)}`,
        tone: d.backWithinLimit === clients ? undefined : 'bad',
      },
      { text: seconds(d.backMs.p99) },
      { text: formatCount(d.resumed) },
      { text: formatCount(d.reset) },
      shouldBeZero(d.silentlyGapped, 'bad'),
      shouldBeZero(d.notBack.length, 'bad'),
      shouldBeZero(d.duplicates + d.reordered, 'bad'),
    ]);
    for (const t of TRANSPORTS) {
      const row = d.byTransport[t];
      if (!row) continue;
      rows.push([
        { text: '' },
        { text: t },
        { text: formatCount(row.members) },
        { text: '' },
        { text: seconds(row.backMsP99) },
        { text: formatCount(row.resumed) },
        { text: formatCount(row.reset) },
        shouldBeZero(row.silentlyGapped, 'bad'),
        shouldBeZero(row.notBack.length, 'bad'),
        shouldBeZero(row.duplicates + row.reordered, 'bad'),
      ]);
    }
  }
  const worstLoop = Math.max(0, ...r.samples.map((s) => s.clientLoopP99Ms));
  return {
    title: `Reconnect storm: ${formatCount(clients)} clients in ${processes} client processes, ${formatValue(rate)} msg/s, seed ${seed}`,
    note: `back = up again and reached by the server after the drop; limit ${seconds(backWithinMs)} s. Load average at start ${r.loadAtStart.map((l) => l.toFixed(2)).join(' / ')}; the client processes' worst loop delay p99 ${formatValue(worstLoop)} ms (are the clients the bottleneck?). Server RSS steady ${formatValue(r.steadyRssBytes / 2 ** 20)} MiB, bound ${formatValue(r.rssBoundBytes / 2 ** 20)} MiB.`,
    columns: [
      left('drop'),
      left('transport'),
      right('members'),
      right('back in limit'),
      right('p99 back (s)'),
      right('resumed'),
      right('reset'),
      right('silently gapped'),
      right('not back'),
      right('dup + reordered'),
    ],
    rows,
  };
}
