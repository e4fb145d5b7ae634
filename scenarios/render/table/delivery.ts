/** The first table: delivery and latency per transport. */
import type { Summary, TransportSummary } from '../../summary.js';
import { formatCount, formatValue, lastSweepPoint } from './format.js';
import { deliveredCell, left, right, shouldBeZero, type TableModel } from './model.js';
import { presentTransports } from './order.js';

export function deliveryTable(summary: Summary): TableModel {
  const transports = presentTransports(summary.transports);
  const columns = [
    left('transport'),
    right('clients'),
    right('delivered/expected'),
    right('lost'),
    right('dup'),
    right('reordered'),
    right('resets'),
    right('p50 ms'),
    right('p90 ms'),
    right('p99 ms'),
    right('max ms'),
  ];
  const rows = transports.map((t) => {
    const s = summary.transports[t] as TransportSummary;
    return [
      { text: t },
      { text: formatCount(s.clients) },
      deliveredCell(s),
      shouldBeZero(s.lost, 'bad'),
      shouldBeZero(s.duplicates, 'warn'),
      shouldBeZero(s.reordered, 'warn'),
      shouldBeZero(s.resets, 'warn'),
      { text: formatValue(s.latencyMs?.p50) },
      { text: formatValue(s.latencyMs?.p90) },
      { text: formatValue(s.latencyMs?.p99) },
      { text: formatValue(s.latencyMs?.max) },
    ];
  });
  // For a sweep, the per-transport tables show its last point only: say which.
  const last = lastSweepPoint(summary);
  const note = [
    summary.groups ? "Each transport's first client group; every group is in the group table below." : '',
    last ? `Last sweep point only: ${last} (every point is in the sweep tables below).` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    title: 'Delivery and latency (event age: receive time − publish ts)',
    ...(note ? { note } : {}),
    columns,
    rows,
  };
}
