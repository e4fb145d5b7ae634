/**
 * The terminal table of a scenario's results (scenarios/README.md), drawn from a `Summary` alone.
 *
 * The tables are first built as a small model (`summaryTables`) that the HTML report renders
 * too, so the terminal and report.html always show the same numbers. Pure: no I/O, no clock,
 * no environment look-ups; the caller decides about colour (TTY, NO_COLOR).
 */
import type { Summary } from '../../summary.js';
import { capacityTable } from './capacity.js';
import { classCapacityTable } from './class-capacity.js';
import { clientSideTable } from './client-side.js';
import { costTable } from './cost.js';
import { deliveryTable } from './delivery.js';
import { formatValue } from './format.js';
import { groupTable } from './groups.js';
import { publisherLine, runnerLine, serverLine } from './lines.js';
import type { TableModel } from './model.js';
import { h2loadTable, protocolTable } from './protocols.js';
import { scaleOutFaultTable, scaleOutStepTable, stickinessTable } from './scale-out.js';
import { stormTable } from './storm.js';
import { sweepCostTable, sweepTable } from './sweep.js';
import { painter, renderModel } from './terminal.js';

export interface TableOptions {
  /** ANSI colour codes; the caller turns them off when stdout is not a TTY or NO_COLOR is set. */
  color: boolean;
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
    classCapacityTable(summary),
    protocolTable(summary),
    h2loadTable(summary),
    scaleOutStepTable(summary),
    scaleOutFaultTable(summary),
    stickinessTable(summary),
    stormTable(summary),
  ].filter((t): t is TableModel => t !== null && t.rows.length > 0);
}

/** The scenario's results as terminal text: the tables, the server line, then ✓/✗ per expectation. */
export function renderTable(summary: Summary, options: TableOptions): string {
  const paint = painter(options.color);
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
  if (summary.publisher) out.push(paint(publisherLine(summary), summary.publisher.failed > 0 ? 'bad' : 'dim'));
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
