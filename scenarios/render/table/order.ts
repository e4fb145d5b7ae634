/** The order transports and client groups are listed in, by the tables and the charts alike. */
import { TRANSPORTS, type TransportName } from '../../../contract/index.js';
import type { GroupSummary } from '../../summary.js';

/** Transports present in a per-transport record, in the contract's order. */
export function presentTransports(record: Partial<Record<TransportName, unknown>>): TransportName[] {
  return TRANSPORTS.filter((t) => record[t] != null);
}

/** Groups by transport (the contract's order), then resume on before off, then as listed. */
export function groupsInOrder(groups: GroupSummary[]): GroupSummary[] {
  const rank = (g: GroupSummary) => {
    const t = TRANSPORTS.indexOf(g.transport);
    return (t < 0 ? TRANSPORTS.length : t) * 2 + (g.resume ? 0 : 1);
  };
  return groups
    .map((g, i) => ({ g, i }))
    .sort((a, b) => rank(a.g) - rank(b.g) || a.i - b.i)
    .map(({ g }) => g);
}
