/**
 * One plain paragraph after a run's tables: which network each group was on, and — when a
 * group's shaper could not keep its schedule — that part of the measured delay was the machine's,
 * not the profile's (scenarios/measure.ts sets `bottleneck`).
 */
import { TRANSPORTS } from '../contract/index.js';
import type { NetworkReport, Summary } from './summary.js';

export function networkNote(summary: Summary): string {
  const rows: { at: string; network: NetworkReport }[] = [];
  const add = (at: string, network: NetworkReport | undefined) => {
    if (network) rows.push({ at, network });
  };
  if (summary.sweep)
    for (const p of summary.sweep.points)
      for (const t of TRANSPORTS) add(`${t} at ${p.value} ${summary.sweep.unit}`, p.transports[t]?.network);
  else if (summary.groups) for (const g of summary.groups) add(g.name, g.network);
  else for (const t of TRANSPORTS) add(t, summary.transports[t]?.network);
  if (rows.length === 0) return '';
  const names = [...new Set(rows.map((r) => r.network.name))];
  const late = rows.filter((r) => r.network.shaper.bottleneck);
  const lines = [`networks: ${names.join(', ')} (contract/networks.ts)`];
  if (late.length === 0) lines.push('the shaper kept its schedule in every group: the delays are the profiles’');
  else
    lines.push(
      `the shaper was the bottleneck in ${late.length} of ${rows.length} groups — its deliveries ran late behind its own work (p99 up to ${Math.round(Math.max(...late.map((r) => r.network.shaper.ownLatenessMs?.p99 ?? r.network.shaper.latenessMs.p99)))} ms), so part of their delay is this machine's, not the profile's: ${late.map((r) => r.at).join(', ')}`,
    );
  return `${lines.join('\n')}\n`;
}
