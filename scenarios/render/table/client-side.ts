/** What the clients saw of the faults, and how much the simulation itself queued them. */
import type { GroupSummary, Summary, TransportSummary } from '../../summary.js';
import { formatCount, formatValue, isNum } from './format.js';
import {
  type Cell,
  type Column,
  left,
  lossCells,
  RECOVERY_NOTE,
  right,
  shouldBeZero,
  type TableModel,
} from './model.js';
import { groupsInOrder, presentTransports } from './order.js';

/** `{NETWORK: 16, CLOSED: 8}` → `NETWORK 16, CLOSED 8`. */
function formatErrors(errors: Record<string, number> | undefined): string {
  if (!errors) return '–';
  const entries = Object.entries(errors).filter(([, n]) => isNum(n) && n > 0);
  return entries.length === 0 ? '–' : entries.map(([code, n]) => `${code} ${formatCount(n)}`).join(', ');
}

/**
 * What the clients saw of the faults (loss they could tell, recovery, errors) and how much the
 * simulation itself queued them: only the columns some row has. With groups, one row per group
 * and no loss or recovery columns: the group table has those.
 */
export function clientSideTable(summary: Summary): TableModel | null {
  const byGroup = summary.groups != null && summary.groups.length > 0;
  const entries: { label: string; s: TransportSummary }[] = byGroup
    ? groupsInOrder(summary.groups as GroupSummary[]).map((g) => ({ label: g.name, s: g }))
    : presentTransports(summary.transports).map((t) => ({ label: t, s: summary.transports[t] as TransportSummary }));
  const has = (pick: (s: TransportSummary) => unknown) => entries.some(({ s }) => pick(s) != null);
  const withDetected = !byGroup && has((s) => s.lostDetected);
  const withRecovery = !byGroup && has((s) => s.recoveryMs);
  const withErrors = entries.some(({ s }) => formatErrors(s.clientErrors) !== '–');
  const withLoop = has((s) => s.clientLoopDelayMs);
  const withNegative = entries.some(({ s }) => isNum(s.negativeAges) && s.negativeAges > 0);
  if (!withDetected && !withRecovery && !withErrors && !withLoop && !withNegative) return null;
  const columns: Column[] = [left(byGroup ? 'group' : 'transport')];
  if (withDetected) columns.push(right('lost'), right('detected'), right('unseen'));
  if (withRecovery) columns.push(right('recovery ms'));
  if (withErrors) columns.push(left('client errors'));
  if (withLoop) columns.push(right('loop p50 ms'), right('loop p99 ms'), right('loop max ms'));
  if (withNegative) columns.push(right('ages < 0'));
  const rows = entries.map(({ label, s }) => {
    const row: Cell[] = [{ text: label }];
    if (withDetected) row.push(shouldBeZero(s.lost, 'bad'), ...lossCells(s));
    if (withRecovery) row.push({ text: formatValue(s.recoveryMs) });
    if (withErrors) row.push({ text: formatErrors(s.clientErrors), tone: 'dim' });
    if (withLoop)
      row.push(
        { text: formatValue(s.clientLoopDelayMs?.p50) },
        { text: formatValue(s.clientLoopDelayMs?.p99) },
        { text: formatValue(s.clientLoopDelayMs?.max) },
      );
    if (withNegative) row.push(shouldBeZero(s.negativeAges ?? 0, 'warn'));
    return row;
  });
  const notes: string[] = [];
  if (withDetected)
    notes.push(
      'detected: the loss the clients could tell themselves (seq holes, reset notices); unseen = lost − detected.',
    );
  if (withRecovery) notes.push(RECOVERY_NOTE);
  if (withErrors) notes.push('client errors: by FeedClientError code.');
  if (withLoop)
    notes.push(
      "loop: event-loop delay of the runner's thread for this group's clients; every event age includes up to that much queueing.",
    );
  if (withNegative) notes.push('ages < 0: the clocks disagreed (recorded as 0).');
  if (summary.sweep) notes.push('Last sweep point only.');
  const about = [
    withDetected ? 'loss the clients could tell' : '',
    withRecovery ? 'recovery' : '',
    withErrors ? 'errors' : '',
    withLoop ? 'thread delay' : '',
    withNegative ? 'clock trouble' : '',
  ].filter(Boolean);
  return {
    title: `Client side${byGroup ? ', per group' : ''}: ${about.join(', ')}`,
    note: notes.join(' '),
    columns,
    rows,
  };
}
