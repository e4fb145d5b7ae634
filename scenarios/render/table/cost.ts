/** Requests and wire bytes per message, per transport. */
import type { Summary, TransportSummary } from '../../summary.js';
import { formatCount, formatShare, formatValue, isNum } from './format.js';
import { type Cell, left, right, type TableModel } from './model.js';
import { presentTransports } from './order.js';

export function costTable(summary: Summary): TableModel {
  const transports = presentTransports(summary.transports);
  const withCounted = transports.some((t) => summary.transports[t]?.countedMessages != null);
  const columns = [left('transport'), right('requests'), right('empty')];
  if (withCounted) columns.push(right('msgs counted'));
  columns.push(right('req/msg'), right('bytes/msg'), right('payload/msg'), right('overhead/msg'), right('floor/msg'));
  let belowFloor = false;
  const rows = transports.map((t) => {
    const s = summary.transports[t] as TransportSummary;
    const emptyShare =
      isNum(s.requests) && s.requests > 0 && isNum(s.emptyResponses) ? s.emptyResponses / s.requests : null;
    const overhead =
      isNum(s.bytesPerMessage) && isNum(s.payloadPerMessage) ? s.bytesPerMessage - s.payloadPerMessage : null;
    // Less framing than the protocol allows: not a saving, an edge effect of the counting window.
    const below = overhead !== null && isNum(s.floorOverheadPerMessage) && overhead < s.floorOverheadPerMessage - 0.5;
    belowFloor ||= below;
    const row: Cell[] = [
      { text: t },
      { text: formatCount(s.requests) },
      {
        text:
          emptyShare == null
            ? formatCount(s.emptyResponses)
            : `${formatCount(s.emptyResponses)} (${formatShare(emptyShare)})`,
      },
    ];
    if (withCounted) row.push({ text: formatCount(s.countedMessages) });
    row.push(
      { text: formatValue(s.requestsPerMessage) },
      { text: formatValue(s.bytesPerMessage) },
      { text: formatValue(s.payloadPerMessage) },
      { text: below ? `${formatValue(overhead)} *` : formatValue(overhead), tone: below ? 'warn' : undefined },
      { text: formatValue(s.floorOverheadPerMessage), tone: 'dim' },
    );
    return row;
  });
  const notes = [
    withCounted
      ? 'Per message = ÷ the messages the clients received while the counters ran (msgs counted).'
      : 'Per message = ÷ delivered messages.',
    "floor: the protocol's least framing for such a message.",
  ];
  if (belowFloor)
    notes.push(
      '* Overhead below the floor is not a saving: a burst on one side of the counting window’s edge moved the divisor.',
    );
  if (summary.sweep) notes.push('Last sweep point only.');
  return {
    title: 'Requests and wire bytes per message (bytes counted at the TCP socket)',
    note: notes.join(' '),
    columns,
    rows,
  };
}
