/** Numbers as the charts and tables write them (shared by scenarios/render/ and the dashboard's class page). */

/** A value that may have come through JSON, where NaN and Infinity turn into null. */
export type Maybe = number | null | undefined;

export const isNum = (v: Maybe): v is number => typeof v === 'number' && Number.isFinite(v);

/** About `significant` significant digits, never in exponent form, thousands separated. */
export function formatValue(v: Maybe, significant = 3): string {
  if (!isNum(v)) return '–';
  if (v === 0) return '0';
  const decimals = Math.min(6, Math.max(0, significant - 1 - Math.floor(Math.log10(Math.abs(v)))));
  return v.toLocaleString('en-US', { maximumFractionDigits: decimals });
}
