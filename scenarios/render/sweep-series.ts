/**
 * The curves (charts) and rows (tables) of a sweep: one per transport, plus one per further client
 * group of a transport that had several at a point (payload-sweep's `websocket-deflate` beside
 * `websocket`). `point.transports.<name>` is that transport's first group (scenarios/run.ts), so a
 * sweep without `groups` draws exactly one series per transport, as before groups existed.
 */
import type { TransportName } from '../../contract/index.js';
import type { SweepPoint, TransportSummary } from '../summary.js';
import { presentTransports } from './table/order.js';

export interface SweepSeries {
  /** The transport's name, or the further group's name: the legend and the table's row label. */
  label: string;
  transport: TransportName;
  /** The transport's own series (its first group); false for a further group of that transport. */
  primary: boolean;
  at: (point: SweepPoint) => TransportSummary | undefined;
}

/** Every series of the points, transports in the contract's order, each followed by its further groups. */
export function sweepSeries(points: SweepPoint[]): SweepSeries[] {
  const seen: Partial<Record<TransportName, true>> = {};
  for (const p of points) for (const t of presentTransports(p.transports)) seen[t] = true;
  const further = new Map<string, TransportName>();
  for (const p of points) {
    const first = new Set<TransportName>();
    for (const g of p.groups ?? []) {
      if (!first.has(g.transport)) first.add(g.transport);
      else if (!further.has(g.name)) further.set(g.name, g.transport);
    }
  }
  const series: SweepSeries[] = [];
  for (const t of presentTransports(seen)) {
    series.push({ label: t, transport: t, primary: true, at: (p) => p.transports[t] });
    for (const [name, transport] of further)
      if (transport === t)
        series.push({ label: name, transport, primary: false, at: (p) => p.groups?.find((g) => g.name === name) });
  }
  return series;
}
