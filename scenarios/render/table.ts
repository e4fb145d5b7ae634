/**
 * The terminal table of a scenario's results (DESIGN.md §5), drawn from a `Summary` alone.
 *
 * The tables are first built as a small model (`summaryTables`) that the HTML report renders
 * too, so the terminal and report.html always show the same numbers. Pure: no I/O, no clock,
 * no environment look-ups; the caller decides about colour (TTY, NO_COLOR).
 */
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import type { Summary, TransportSummary } from '../summary.js';

export type Tone = 'good' | 'bad' | 'warn' | 'dim';

export interface Cell {
  text: string;
  tone?: Tone;
}

export interface Column {
  label: string;
  align: 'left' | 'right';
}

export interface TableModel {
  title: string;
  columns: Column[];
  rows: Cell[][];
}

export interface TableOptions {
  /** ANSI colour codes; the caller turns them off when stdout is not a TTY or NO_COLOR is set. */
  color: boolean;
}

// ---------------------------------------------------------------------------------------------
// Number formatting, shared with the charts and the HTML report.

/** A value that may have come through JSON, where NaN and Infinity turn into null. */
type Maybe = number | null | undefined;

const isNum = (v: Maybe): v is number => typeof v === 'number' && Number.isFinite(v);

/** An integer count with thousands separators; "–" when unknown. */
export function formatCount(v: Maybe): string {
  return isNum(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 0 }) : '–';
}

/** About `significant` significant digits, never in exponent form, thousands separated. */
export function formatValue(v: Maybe, significant = 3): string {
  if (!isNum(v)) return '–';
  if (v === 0) return '0';
  const decimals = Math.min(6, Math.max(0, significant - 1 - Math.floor(Math.log10(Math.abs(v)))));
  return v.toLocaleString('en-US', { maximumFractionDigits: decimals });
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

/** Transports present in a per-transport record, in the contract's order. */
export function presentTransports(record: Partial<Record<TransportName, unknown>>): TransportName[] {
  return TRANSPORTS.filter((t) => record[t] != null);
}

// ---------------------------------------------------------------------------------------------
// The model.

const left = (label: string): Column => ({ label, align: 'left' });
const right = (label: string): Column => ({ label, align: 'right' });

/** A count that should be zero: shown plainly when it is, in `tone` when it is not. */
function shouldBeZero(v: Maybe, tone: Tone): Cell {
  return { text: formatCount(v), tone: isNum(v) && v !== 0 ? tone : undefined };
}

function deliveryTable(summary: Summary): TableModel {
  const transports = presentTransports(summary.transports);
  const withRecovery = transports.some((t) => summary.transports[t]?.recoveryMs != null);
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
  if (withRecovery) columns.push(right('recovery ms'));
  const rows = transports.map((t) => {
    const s = summary.transports[t] as TransportSummary;
    const short = isNum(s.delivered) && isNum(s.expected) && s.delivered < s.expected;
    const row: Cell[] = [
      { text: t },
      { text: formatCount(s.clients) },
      { text: `${formatCount(s.delivered)}/${formatCount(s.expected)}`, tone: short ? 'bad' : undefined },
      shouldBeZero(s.lost, 'bad'),
      shouldBeZero(s.duplicates, 'warn'),
      shouldBeZero(s.reordered, 'warn'),
      shouldBeZero(s.resets, 'warn'),
      { text: formatValue(s.latencyMs?.p50) },
      { text: formatValue(s.latencyMs?.p90) },
      { text: formatValue(s.latencyMs?.p99) },
      { text: formatValue(s.latencyMs?.max) },
    ];
    if (withRecovery) row.push({ text: formatValue(s.recoveryMs) });
    return row;
  });
  return { title: 'Delivery and latency (event age: receive time − publish ts)', columns, rows };
}

function costTable(summary: Summary): TableModel {
  const transports = presentTransports(summary.transports);
  const columns = [
    left('transport'),
    right('requests'),
    right('empty'),
    right('requests/msg'),
    right('bytes/msg'),
    right('payload/msg'),
    right('overhead/msg'),
    right('floor overhead/msg'),
  ];
  const rows = transports.map((t) => {
    const s = summary.transports[t] as TransportSummary;
    const emptyShare =
      isNum(s.requests) && s.requests > 0 && isNum(s.emptyResponses) ? s.emptyResponses / s.requests : null;
    const overhead =
      isNum(s.bytesPerMessage) && isNum(s.payloadPerMessage) ? s.bytesPerMessage - s.payloadPerMessage : null;
    return [
      { text: t },
      { text: formatCount(s.requests) },
      {
        text:
          emptyShare == null
            ? formatCount(s.emptyResponses)
            : `${formatCount(s.emptyResponses)} (${formatValue(emptyShare * 100, 2)}%)`,
      },
      { text: formatValue(s.requestsPerMessage) },
      { text: formatValue(s.bytesPerMessage) },
      { text: formatValue(s.payloadPerMessage) },
      { text: formatValue(overhead) },
      { text: formatValue(s.floorOverheadPerMessage), tone: 'dim' as const },
    ];
  });
  return { title: 'Requests and wire bytes per delivered message (bytes counted at the TCP socket)', columns, rows };
}

/** One row per (sweep point, transport): the value is written on the first row of its group. */
function sweepTable(summary: Summary): TableModel | null {
  const sweep = summary.sweep;
  if (!sweep || sweep.points.length === 0) return null;
  const withPrediction = sweep.points.some((p) => Object.values(p.predicted ?? {}).some((v) => v?.p50 != null));
  const columns = [right(`${sweep.parameter} (${sweep.unit})`), left('transport'), right('p50 ms')];
  if (withPrediction) columns.push(right('p50 predicted'));
  columns.push(right('p99 ms'), right('bytes/msg'), right('requests/msg'));
  const rows: Cell[][] = [];
  for (const point of sweep.points) {
    presentTransports(point.transports).forEach((t, i) => {
      const s = point.transports[t] as TransportSummary;
      const row: Cell[] = [
        { text: i === 0 ? formatValue(point.value, 4) : '' },
        { text: t },
        { text: formatValue(s.latencyMs?.p50) },
      ];
      if (withPrediction) row.push({ text: formatValue(point.predicted?.[t]?.p50), tone: 'dim' });
      row.push(
        { text: formatValue(s.latencyMs?.p99) },
        { text: formatValue(s.bytesPerMessage) },
        { text: formatValue(s.requestsPerMessage) },
      );
      rows.push(row);
    });
  }
  return { title: `Sweep over ${sweep.parameter} (${sweep.unit})`, columns, rows };
}

function capacityTable(summary: Summary): TableModel | null {
  if (!summary.capacity || summary.capacity.length === 0) return null;
  const columns = [
    left('route'),
    right('connections'),
    right('duration s'),
    right('requests/s'),
    right('p50 ms'),
    right('p99 ms'),
    left('baseline'),
    right('ratio'),
  ];
  const rows = summary.capacity.map((c) => [
    { text: c.route },
    { text: formatCount(c.connections) },
    { text: formatValue(c.durationS) },
    { text: formatCount(c.requestsPerSec) },
    { text: formatValue(c.latencyMs?.p50) },
    { text: formatValue(c.latencyMs?.p99) },
    { text: c.baseline ? `${c.baseline.name} (${formatCount(c.baseline.requestsPerSec)}/s)` : '–' },
    { text: c.baseline ? `${formatValue(c.baseline.ratio)}×` : '–' },
  ]);
  return { title: 'HTTP capacity (autocannon)', columns, rows };
}

/** The tables of a summary, in the order they are printed. */
export function summaryTables(summary: Summary): TableModel[] {
  return [deliveryTable(summary), costTable(summary), sweepTable(summary), capacityTable(summary)].filter(
    (t): t is TableModel => t !== null,
  );
}

/** One line about the server process: its CPU and peak memory over the run. */
export function serverLine(summary: Summary): string {
  const s = summary.server;
  return `server: ${formatCount(s.cpuMs)} ms CPU, ${formatValue(s.cpuUsPerDelivered)} µs CPU per delivered message, RSS max ${formatBytes(s.rssMaxBytes)}`;
}

// ---------------------------------------------------------------------------------------------
// Terminal rendering.

const ANSI: Record<Tone | 'bold', string> = {
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  good: '\x1b[32m',
  bad: '\x1b[31m',
  warn: '\x1b[33m',
};
const RESET = '\x1b[0m';

/** Terminal columns a string takes; the box-drawing and sign characters used here are one wide. */
const width = (text: string): number => [...text].length;

function pad(text: string, to: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return align === 'left' ? text + fill : fill + text;
}

function renderModel(model: TableModel, paint: (text: string, style?: Tone | 'bold') => string): string {
  const widths = model.columns.map((c, i) =>
    Math.max(width(c.label), ...model.rows.map((r) => width(r[i]?.text ?? ''))),
  );
  // The padding is applied before the colour, so escape codes never upset the alignment.
  const line = (cells: string[]) => cells.join('  ').trimEnd();
  const header = line(model.columns.map((c, i) => paint(pad(c.label, widths[i], c.align), 'bold')));
  const rule = line(widths.map((w) => '─'.repeat(w)));
  const rows = model.rows.map((r) =>
    line(model.columns.map((c, i) => paint(pad(r[i]?.text ?? '', widths[i], c.align), r[i]?.tone))),
  );
  return [paint(model.title, 'bold'), header, rule, ...rows].join('\n');
}

/** The scenario's results as terminal text: the tables, the server line, then ✓/✗ per expectation. */
export function renderTable(summary: Summary, options: TableOptions): string {
  const paint = (text: string, style?: Tone | 'bold') =>
    options.color && style && text !== '' ? `${ANSI[style]}${text}${RESET}` : text;
  const out: string[] = [];
  out.push(`${paint(summary.scenario, 'bold')} — ${summary.description}`);
  out.push(
    paint(
      `started ${summary.startedAt} · ${formatValue(summary.durationMs / 1000)} s · latency clock: ${summary.clock}`,
      'dim',
    ),
  );
  for (const model of summaryTables(summary)) out.push('', renderModel(model, paint));
  out.push('', serverLine(summary));
  if (summary.expectations.length > 0) {
    out.push('', paint('Expectations', 'bold'));
    for (const e of summary.expectations) {
      const mark = e.pass ? paint('✓', 'good') : paint('✗', 'bad');
      out.push(`${mark} ${e.text}${e.detail ? paint(` — ${e.detail}`, 'dim') : ''}`);
    }
    const passed = summary.expectations.filter((e) => e.pass).length;
    const all = passed === summary.expectations.length;
    out.push(paint(`${passed}/${summary.expectations.length} expectations met`, all ? 'good' : 'bad'));
  }
  return `${out.join('\n')}\n`;
}
