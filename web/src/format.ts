/** Number formatting for the dashboard: short, fixed units, no locale surprises. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function count(value: number): string {
  return integer.format(value);
}

/** 0.42 ms, 4.2 ms, 420 ms, 1.42 s. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (value === 0) return '0 ms';
  if (abs < 1) return `${value.toFixed(2)} ms`;
  if (abs < 10) return `${value.toFixed(1)} ms`;
  if (abs < 1000) return `${value.toFixed(0)} ms`;
  return `${(value / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
}

export function signedMs(value: number): string {
  return `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;
}

/** 812 B, 12.3 kB, 4.51 MB (decimal units, as network tools count). */
export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs < 1000) return `${value.toFixed(abs < 10 && value % 1 !== 0 ? 1 : 0)} B`;
  if (abs < 1e6) return `${(value / 1e3).toFixed(abs < 1e4 ? 2 : 1)} kB`;
  if (abs < 1e9) return `${(value / 1e6).toFixed(abs < 1e7 ? 2 : 1)} MB`;
  return `${(value / 1e9).toFixed(2)} GB`;
}

/** Requests per message: 2 decimals, more when it is tiny (one SSE request for thousands of messages). */
export function perMessage(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  return value.toFixed(value < 0.01 ? 4 : 2);
}

export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(0)} %`;
}

/** Local wall-clock time with milliseconds, for logs: 14:03:07.412. */
export function clockTime(msSinceEpoch: number): string {
  const d = new Date(msSinceEpoch);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
