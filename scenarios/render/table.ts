/**
 * The terminal table of a scenario's results (DESIGN.md §5), drawn from a `Summary` alone.
 *
 * The tables are first built as a small model (`summaryTables`) that the HTML report renders
 * too, so the terminal and report.html always show the same numbers. Pure: no I/O, no clock,
 * no environment look-ups; the caller decides about colour (TTY, NO_COLOR).
 */
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import type { GroupSummary, Summary, SweepPoint, TransportSummary } from '../summary.js';

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
  /** What a column means or where a number comes from, printed under the title. */
  note?: string;
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

/** For a sweep, the per-transport tables show its last point only: say which. */
function lastPointNote(summary: Summary): string | undefined {
  const last = summary.sweep?.points.at(-1);
  if (!summary.sweep || !last) return undefined;
  return `Last sweep point only: ${summary.sweep.parameter} = ${formatValue(last.value, 4)} ${summary.sweep.unit} (every point is in the sweep tables below).`;
}

function deliveryTable(summary: Summary): TableModel {
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
    const short = isNum(s.delivered) && isNum(s.expected) && s.delivered < s.expected;
    return [
      { text: t },
      { text: formatCount(s.clients) },
      { text: `${formatCount(s.delivered)}/${formatCount(s.expected)}`, tone: short ? ('bad' as const) : undefined },
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
  const note = [
    summary.groups ? "Each transport's first client group; every group is in the group table below." : '',
    lastPointNote(summary) ?? '',
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

/** `{NETWORK: 16, CLOSED: 8}` → `NETWORK 16, CLOSED 8`. */
function formatErrors(errors: Record<string, number> | undefined): string {
  if (!errors) return '–';
  const entries = Object.entries(errors).filter(([, n]) => isNum(n) && n > 0);
  return entries.length === 0 ? '–' : entries.map(([code, n]) => `${code} ${formatCount(n)}`).join(', ');
}

/** Loss the clients themselves could tell (lostDetected) beside the ground truth: what no client could see. */
function lossCells(s: TransportSummary): Cell[] {
  const unseen = isNum(s.lost) && isNum(s.lostDetected) ? s.lost - s.lostDetected : null;
  return [
    { text: formatCount(s.lostDetected), tone: isNum(s.lostDetected) && s.lostDetected > 0 ? 'warn' : undefined },
    { text: formatCount(unseen), tone: unseen !== null && unseen > 0 ? 'bad' : undefined },
  ];
}

/**
 * What the clients saw of the faults (loss they could tell, recovery, errors) and how much the
 * simulation itself queued them: only the columns some row has. With groups, one row per group
 * and no loss or recovery columns: the group table has those.
 */
function clientSideTable(summary: Summary): TableModel | null {
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
  if (withRecovery) notes.push('recovery: mean time from a forced drop to the next message.');
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

function costTable(summary: Summary): TableModel {
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
            : `${formatCount(s.emptyResponses)} (${formatValue(emptyShare * 100, 2)}%)`,
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

/** Resume on vs off, one row per client group (e.g. reconnect's naive groups). */
function groupTable(summary: Summary): TableModel | null {
  const groups = summary.groups;
  if (!groups || groups.length === 0) return null;
  const withDetected = groups.some((g) => g.lostDetected != null);
  const withRecovery = groups.some((g) => g.recoveryMs != null);
  const columns: Column[] = [left('transport'), left('group'), left('resume'), right('delivered/exp.'), right('lost')];
  if (withDetected) columns.push(right('detected'));
  columns.push(right('dup'), right('resets'));
  if (withRecovery) columns.push(right('recovery ms'));
  columns.push(right('p50 ms'), right('p99 ms'));
  const rows = groupsInOrder(groups).map((g) => {
    const short = isNum(g.delivered) && isNum(g.expected) && g.delivered < g.expected;
    const row: Cell[] = [
      { text: g.transport },
      { text: g.name },
      { text: g.resume ? 'on' : 'off', tone: g.resume ? undefined : 'dim' },
      { text: `${formatCount(g.delivered)}/${formatCount(g.expected)}`, tone: short ? 'bad' : undefined },
      shouldBeZero(g.lost, 'bad'),
    ];
    if (withDetected) row.push(lossCells(g)[0]);
    row.push(shouldBeZero(g.duplicates, 'warn'), shouldBeZero(g.resets, 'warn'));
    if (withRecovery) row.push({ text: formatValue(g.recoveryMs) });
    row.push({ text: formatValue(g.latencyMs?.p50) }, { text: formatValue(g.latencyMs?.p99) });
    return row;
  });
  const notes = [
    'resume off: a naive client, back live-only (no cursor) after a drop.',
    withDetected ? 'detected: the loss its clients could tell (seq holes, reset notices); the rest no client saw.' : '',
    withRecovery ? 'recovery: mean time from a forced drop to the next message.' : '',
  ];
  return {
    title: 'Client groups: resuming vs naive (resume off)',
    note: notes.filter(Boolean).join(' '),
    columns,
    rows,
  };
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

/** The swept value's column: `clients per transport`, `short-poll interval (ms)`. */
function sweepValueColumn(sweep: NonNullable<Summary['sweep']>): Column {
  const named = sweep.parameter.split(/\W+/).includes(sweep.unit);
  return right(named ? sweep.parameter : `${sweep.parameter} (${sweep.unit})`);
}

/** One row per (sweep point, transport): the value is written on the first row of its group. */
function sweepTable(summary: Summary): TableModel | null {
  const sweep = summary.sweep;
  if (!sweep || sweep.points.length === 0) return null;
  const withPrediction = sweep.points.some((p) => Object.values(p.predicted ?? {}).some((v) => v?.p50 != null));
  const withLoop = sweep.points.some((p) => Object.values(p.transports).some((s) => s?.clientLoopDelayMs != null));
  const columns = [sweepValueColumn(sweep), left('transport'), right('p50 ms')];
  if (withPrediction) columns.push(right('p50 predicted'));
  columns.push(right('p99 ms'));
  if (withLoop) columns.push(right('loop p99 ms'));
  columns.push(right('bytes/msg'), right('req/msg'));
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
      row.push({ text: formatValue(s.latencyMs?.p99) });
      if (withLoop) row.push({ text: formatValue(s.clientLoopDelayMs?.p99), tone: 'dim' });
      row.push({ text: formatValue(s.bytesPerMessage) }, { text: formatValue(s.requestsPerMessage) });
      rows.push(row);
    });
  }
  return {
    title: `Sweep over ${sweep.parameter} (${sweep.unit})`,
    ...(withLoop
      ? {
          note: "loop p99: event-loop delay of the runner's thread for that group's clients, part of every event age.",
        }
      : {}),
    columns,
    rows,
  };
}

/** Where each transport ran alone (fan-out): the server's CPU per message at each point. */
function sweepCostTable(summary: Summary): TableModel | null {
  const sweep = summary.sweep;
  const withCost = (p: SweepPoint) => Object.values(p.transports).some((s) => s?.serverCost != null);
  if (!sweep?.points.some(withCost)) return null;
  const columns = [
    sweepValueColumn(sweep),
    left('transport'),
    right('server CPU ms'),
    right('CPU µs/msg'),
    right('msgs counted'),
    right('RSS max'),
  ];
  const rows: Cell[][] = [];
  let coarse = false;
  for (const point of sweep.points) {
    presentTransports(point.transports).forEach((t, i) => {
      const s = point.transports[t] as TransportSummary;
      const cost = s.serverCost;
      // /proc counts CPU in 10 ms ticks: under 100 ms, one tick is over 10 %.
      const rough = cost != null && isNum(cost.cpuMs) && cost.cpuMs < 100;
      coarse ||= rough;
      rows.push([
        { text: i === 0 ? formatValue(point.value, 4) : '' },
        { text: t },
        { text: rough ? `≈${formatCount(cost?.cpuMs)}` : formatCount(cost?.cpuMs), tone: rough ? 'dim' : undefined },
        {
          text: rough ? `≈${formatValue(cost?.cpuUsPerDelivered)}` : formatValue(cost?.cpuUsPerDelivered),
          tone: rough ? 'dim' : undefined,
        },
        { text: formatCount(s.countedMessages) },
        { text: formatBytes(cost?.rssMaxBytes) },
      ]);
    });
  }
  const notes = [
    'Each transport ran alone against the server, so the CPU is its own. CPU µs/msg = server CPU ÷ msgs counted (the messages the clients received while the counters ran).',
  ];
  if (coarse) notes.push('≈: under 100 ms of CPU, where /proc’s 10 ms ticks make it ±10 % or worse.');
  return { title: `Server cost over the sweep (${sweep.parameter})`, note: notes.join(' '), columns, rows };
}

/** autocannon's latencies are whole milliseconds: 0 means under one. */
function wholeMs(v: Maybe): string {
  return isNum(v) && v === 0 ? '<1' : formatValue(v);
}

/** The capacity rows, then the baseline(s) they were compared with, once each. */
function capacityTable(summary: Summary): TableModel | null {
  const capacity = summary.capacity;
  if (!capacity || capacity.length === 0) return null;
  const withCpu = capacity.some((c) => c.serverCpuUsPerRequest != null);
  const withShare = capacity.some((c) => c.serverCpuShare != null);
  const withErrors = capacity.some((c) => c.errors != null);
  const columns: Column[] = [left('server'), right('requests/s'), right('ratio'), right('p50 ms'), right('p99 ms')];
  if (withErrors) columns.push(right('errors'));
  if (withCpu) columns.push(right('CPU µs/req'));
  if (withShare) columns.push(right('CPU share'));
  const rows: Cell[][] = capacity.map((c) => {
    const row: Cell[] = [
      { text: c.route },
      { text: formatCount(c.requestsPerSec) },
      { text: c.baseline ? `${formatValue(c.baseline.ratio)}×` : '–' },
      { text: wholeMs(c.latencyMs?.p50) },
      { text: wholeMs(c.latencyMs?.p99) },
    ];
    if (withErrors) row.push(shouldBeZero(c.errors, 'bad'));
    if (withCpu) row.push({ text: formatValue(c.serverCpuUsPerRequest) });
    if (withShare) row.push({ text: isNum(c.serverCpuShare) ? `${formatValue(c.serverCpuShare * 100, 2)}%` : '–' });
    return row;
  });
  const baselines = new Map<string, NonNullable<typeof capacity>[number]>();
  for (const c of capacity) if (c.baseline && !baselines.has(c.baseline.name)) baselines.set(c.baseline.name, c);
  for (const [name, c] of baselines) {
    const row: Cell[] = [
      { text: `${name} (baseline)`, tone: 'dim' },
      { text: formatCount(c.baseline?.requestsPerSec), tone: 'dim' },
      { text: '1×', tone: 'dim' },
      { text: '–', tone: 'dim' },
      { text: '–', tone: 'dim' },
    ];
    if (withErrors) row.push({ text: '–', tone: 'dim' });
    if (withCpu) row.push({ text: formatValue(c.baselineCpuUsPerRequest), tone: 'dim' });
    if (withShare) row.push({ text: '–', tone: 'dim' });
    rows.push(row);
  }
  const first = capacity[0];
  const how = [
    `${formatCount(first.connections)} connections`,
    first.pipelining != null ? `pipelining ${formatCount(first.pipelining)}` : '',
    first.rounds == null
      ? `${formatValue(first.durationS)} s`
      : first.rounds === 1
        ? `one round of ${formatValue(first.durationS)} s`
        : `${formatCount(first.rounds)} alternated rounds of ${formatValue(first.durationS)} s each`,
  ]
    .filter(Boolean)
    .join(', ');
  const notes = [
    `autocannon, ${how}.`,
    baselines.size > 0 ? `ratio: requests/s ÷ the baseline's (${[...baselines.keys()].join(', ')}).` : '',
    'p50/p99 are whole milliseconds (<1: under one).',
    withCpu
      ? 'CPU µs/req: the serving process’s CPU (/proc) per answered request — the figure that does not depend on who was the bottleneck.'
      : '',
    withShare ? 'CPU share: of one core.' : '',
  ];
  return { title: 'HTTP capacity (autocannon)', note: notes.filter(Boolean).join(' '), columns, rows };
}

/** The tables of a summary, in the order they are printed. */
export function summaryTables(summary: Summary): TableModel[] {
  return [
    deliveryTable(summary),
    groupTable(summary),
    clientSideTable(summary),
    costTable(summary),
    sweepTable(summary),
    sweepCostTable(summary),
    capacityTable(summary),
  ].filter((t): t is TableModel => t !== null);
}

/** One line about the runner process (clients, proxies): its CPU and its main thread's worst loop delay. */
export function runnerLine(summary: Summary): string {
  const r = summary.runner;
  if (!r) return '';
  const d = r.eventLoopDelayMs;
  return `runner: ${formatCount(r.cpuMs)} ms CPU (clients and proxies, every thread), main-thread loop delay p99 ${formatValue(d?.p99)} ms, max ${formatValue(d?.max)} ms`;
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
  const note = model.note ? wrap(model.note, NOTE_WIDTH).map((l) => paint(l, 'dim')) : [];
  return [paint(model.title, 'bold'), ...note, header, rule, ...rows].join('\n');
}

/** Notes are wrapped to this many columns (the widest tables are about 110). */
const NOTE_WIDTH = 108;

/** Greedy word wrap; a word longer than the line stands alone. */
export function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && width(line) + 1 + width(word) > columns) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
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
  if (summary.runner) out.push(paint(runnerLine(summary), 'dim'));
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
