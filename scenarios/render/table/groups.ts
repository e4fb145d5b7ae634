/** Client groups: resuming vs naive (resume off), one row per group. */
import type { Summary } from '../../summary.js';
import { formatValue } from './format.js';
import {
  type Cell,
  type Column,
  deliveredCell,
  left,
  lossCells,
  RECOVERY_NOTE,
  right,
  shouldBeZero,
  type TableModel,
} from './model.js';
import { groupsInOrder } from './order.js';

/** Resume on vs off, one row per client group (e.g. reconnect's naive groups). */
export function groupTable(summary: Summary): TableModel | null {
  const groups = summary.groups;
  if (!groups || groups.length === 0) return null;
  const withDetected = groups.some((g) => g.lostDetected != null);
  const withRecovery = groups.some((g) => g.recoveryMs != null);
  const columns: Column[] = [left('transport'), left('group'), left('resume'), right('delivered/exp.'), right('lost')];
  if (withDetected) columns.push(right('detected'));
  columns.push(right('dup'), right('resets'));
  if (withRecovery) columns.push(right('recovery ms'));
  columns.push(right('p50 ms'), right('p99 ms'));
  const rows = groupsInOrder(groups).map((g) => {
    const row: Cell[] = [
      { text: g.transport },
      { text: g.name },
      { text: g.resume ? 'on' : 'off', tone: g.resume ? undefined : 'dim' },
      deliveredCell(g),
      shouldBeZero(g.lost, 'bad'),
    ];
    if (withDetected) row.push(lossCells(g)[0]);
    row.push(shouldBeZero(g.duplicates, 'warn'), shouldBeZero(g.resets, 'warn'));
    if (withRecovery) row.push({ text: formatValue(g.recoveryMs) });
    row.push({ text: formatValue(g.latencyMs?.p50) }, { text: formatValue(g.latencyMs?.p99) });
    return row;
  });
  const notes = [
    'resume off: a naive client, back live-only (no cursor) after a drop.',
    withDetected ? 'detected: the loss its clients could tell (seq holes, reset notices); the rest no client saw.' : '',
    withRecovery ? RECOVERY_NOTE : '',
  ];
  return {
    title: 'Client groups: resuming vs naive (resume off)',
    note: notes.filter(Boolean).join(' '),
    columns,
    rows,
  };
}
