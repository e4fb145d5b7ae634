/**
 * Number formatting, shared by the tables, the charts and the HTML report: one way to write a
 * count, a value, a size or a share everywhere.
 */

import { formatValue, isNum, type Maybe } from '../../../charts/numbers.js';
import type { Summary } from '../../summary.js';

export { formatValue, isNum, type Maybe } from '../../../charts/numbers.js';

/** An integer count with thousands separators; "–" when unknown. */
export function formatCount(v: Maybe): string {
  return isNum(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 0 }) : '–';
}

/** Bytes in binary units, for memory. */
export function formatBytes(v: Maybe): string {
  if (!isNum(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = v;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatValue(value)} ${units[unit]}`;
}

/** A share (0.123) as a percentage to two significant digits (`12%`); "–" when unknown. */
export function formatShare(v: Maybe): string {
  return isNum(v) ? `${formatValue(v * 100, 2)}%` : '–';
}

/** A capacity measurement's length: `3 alternated rounds of 3 s each`, `one round of 1 s`, `3 s`. */
export function formatRounds(rounds: Maybe, durationS: Maybe): string {
  if (rounds == null) return `${formatValue(durationS)} s`;
  if (rounds === 1) return `one round of ${formatValue(durationS)} s`;
  return `${formatCount(rounds)} alternated rounds of ${formatValue(durationS)} s each`;
}

/** A sweep's last point as `short-poll interval = 1,000 ms`; undefined when it is no sweep. */
export function lastSweepPoint(summary: Summary): string | undefined {
  const last = summary.sweep?.points.at(-1);
  if (!summary.sweep || !last) return undefined;
  return `${summary.sweep.parameter} = ${formatValue(last.value, 4)} ${summary.sweep.unit}`;
}
