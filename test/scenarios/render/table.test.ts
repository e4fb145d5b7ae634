import { describe, expect, it } from 'vitest';
import { TRANSPORTS as ALL_TRANSPORTS } from '../../../contract/index.js';
import { present } from '../../../contract/present.js';
import { renderHtml } from '../../../scenarios/render/html.js';
import { renderTable, summaryTables } from '../../../scenarios/render/table/index.js';
import { wrap } from '../../../scenarios/render/table/terminal.js';
import type { Summary } from '../../../scenarios/summary.js';
import { validateSummary } from '../../../scenarios/validate.js';
import { fanOutSummary, plainSummary, reconnectSummary, sweepSummary } from '../../fixtures/summaries.js';
import { ANSI, cells, ESC, rowOf, rowStarting, section } from './helpers.js';

/** The fixtures (test/fixtures/summaries.ts) model reference results of the first four transports. */
const TRANSPORTS = ALL_TRANSPORTS.filter((t) => t !== 'socket.io');

describe('renderTable', () => {
  const plain = renderTable(plainSummary, { color: false });

  it('has one row per transport, in the contract order, with its numbers', () => {
    const order = TRANSPORTS.map((t) => plain.indexOf(`\n${t} `));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    expect(cells(rowOf(plain, 'Delivery', 'short-poll'))).toEqual([
      'short-poll',
      '20',
      '2,400/2,400',
      '0',
      '0',
      '0',
      '0',
      '498',
      '902',
      '992',
      '1,013',
    ]);
    expect(cells(rowOf(plain, 'Delivery', 'long-poll'))).toEqual([
      'long-poll',
      '20',
      '2,400/2,400',
      '0',
      '2',
      '0',
      '0',
      '0.92',
      '1.41',
      '3.18',
      '9.84',
    ]);
    // requests, empty (share of requests), msgs counted, req/msg, bytes/msg, payload/msg, overhead/msg, floor.
    expect(cells(rowOf(plain, 'Requests', 'short-poll'))).toEqual([
      'short-poll',
      '1,200',
      '162 (14%)',
      '2,400',
      '0.5',
      '492',
      '256',
      '236',
      '70.6',
    ]);
    expect(cells(rowOf(plain, 'Requests', 'sse'))).toEqual([
      'sse',
      '20',
      '0 (0%)',
      '2,400',
      '0.00833',
      '288',
      '256',
      '32.4',
      '29',
    ]);
    expect(cells(rowOf(plain, 'Requests', 'websocket'))).toEqual([
      'websocket',
      '20',
      '0 (0%)',
      '2,400',
      '0.00833',
      '264',
      '256',
      '7.75',
      '4',
    ]);
  });

  it('lines the columns up under their headers', () => {
    const lines = plain.split('\n');
    const header = lines.find((l) => l.startsWith('transport') && l.includes('p50 ms')) as string;
    const row = rowOf(plain, 'Delivery', 'websocket');
    // Right-aligned columns end where their header ends.
    for (const label of ['clients', 'delivered/expected', 'p50 ms', 'max ms']) {
      const end = header.indexOf(label) + label.length;
      expect(row[end - 1]).not.toBe(' ');
      expect(row[end] ?? ' ').toBe(' ');
    }
  });

  it('marks each expectation ✓ or ✗ with its detail, and counts them', () => {
    expect(plain).toContain('✓ short-poll p50 latency ≈ T/2 = 500 ms (±20 %) — measured 498 ms');
    expect(plain).toContain('✗ no duplicates on any transport — long-poll: 2 duplicates');
    expect(plain).toContain('4/5 expectations met');
    expect(plain).toContain('server: 1,843 ms CPU, 192 µs CPU per delivered message, RSS max 92 MiB');
  });

  it('writes ANSI colour codes only when asked, without moving anything', () => {
    expect(plain).not.toMatch(ANSI);
    const coloured = renderTable(plainSummary, { color: true });
    expect(coloured).toContain(`${ESC}[31m✗${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[32m✓${ESC}[0m`);
    // The long-poll duplicates stand out.
    expect(rowOf(coloured, 'Delivery', 'long-poll')).toContain(`${ESC}[33m  2${ESC}[0m`);
    expect(coloured.replace(ANSI, '')).toBe(plain);
  });

  it('adds a compact table per sweep point, predictions beside the measurements', () => {
    const text = renderTable(sweepSummary, { color: false });
    expect(text).toContain('Sweep over short-poll interval (ms)');
    const lines = text.split('\n');
    const at100 = lines.find((l) => /^\s*100\s+short-poll/.test(l)) as string;
    // value, transport, p50, p50 predicted, p99, bytes/msg, requests/msg
    expect(cells(at100)).toEqual(['100', 'short-poll', '51.3', '50', '99.8', '2,661', '5']);
    const at5000 = lines.find((l) => /^\s*5,000\s+short-poll/.test(l)) as string;
    expect(cells(at5000)).toEqual(['5,000', 'short-poll', '2,489', '2,500', '4,950', '312', '0.1']);
    // Every point lists every transport.
    const sweepRows = lines.slice(lines.findIndex((l) => l.startsWith('Sweep over')));
    for (const t of TRANSPORTS)
      expect(sweepRows.filter((l) => l.includes(` ${t} `) || l.startsWith(t)).length).toBeGreaterThanOrEqual(6);
  });

  it('shows a dash, not NaN, for what could not be measured', () => {
    const broken = structuredClone(plainSummary);
    const sse = broken.transports.sse as NonNullable<Summary['transports']['sse']>;
    sse.delivered = 0;
    // What JSON makes of NaN.
    sse.bytesPerMessage = null as unknown as number;
    sse.latencyMs.p50 = null as unknown as number;
    const text = renderTable(broken, { color: false });
    expect(text).not.toMatch(/NaN|null|undefined|Infinity/);
    expect(cells(rowOf(text, 'Delivery', 'sse'))[7]).toBe('–');
  });
});

describe('tables beyond the per-transport ones', () => {
  const reconnect = renderTable(reconnectSummary, { color: false });
  const fanOut = renderTable(fanOutSummary, { color: false });
  const plain = renderTable(plainSummary, { color: false });

  it('lists every client group, resume on vs off, by transport', () => {
    const table = section(reconnect, 'Client groups: resuming vs naive (resume off)');
    expect(cells(table.find((l) => l.startsWith('transport')) as string)).toEqual([
      'transport',
      'group',
      'resume',
      'delivered/exp.',
      'lost',
      'detected',
      'dup',
      'resets',
      'recovery ms',
      'p50 ms',
      'p99 ms',
    ]);
    // transport, group, resume, delivered/expected, lost, detected, dup, resets, recovery, p50, p99
    expect(rowStarting(table, 'sse', 'sse')).toEqual([
      'sse',
      'sse',
      'on',
      '4,800/4,800',
      '0',
      '0',
      '0',
      '8',
      '780',
      '3.72',
      '916',
    ]);
    expect(rowStarting(table, 'sse', 'naive-sse')).toEqual([
      'sse',
      'naive-sse',
      'off',
      '4,737/4,800',
      '63',
      '39',
      '0',
      '0',
      '126',
      '3.27',
      '8.77',
    ]);
    // Both short-poll groups lose the old epoch's tail at the restart, and no client can tell.
    expect(rowStarting(table, 'short-poll', 'naive-short-poll').slice(3, 6)).toEqual(['4,739/4,800', '61', '0']);
    // Resuming before naive, transports in the contract's order.
    const groups = table.slice(table.findIndex((l) => l.startsWith('─')) + 1).map((l) => cells(l)[1]);
    expect(groups).toEqual([
      'short-poll',
      'naive-short-poll',
      'long-poll',
      'naive-long-poll',
      'sse',
      'naive-sse',
      'websocket',
      'naive-websocket',
    ]);
  });

  it('says that the per-transport tables show the first group only', () => {
    expect(section(reconnect, 'Delivery and latency')[1]).toBe(
      "Each transport's first client group; every group is in the group table below.",
    );
  });

  it('shows client errors and the client thread delay per group', () => {
    const table = section(reconnect, 'Client side, per group');
    expect(rowStarting(table, 'naive-websocket')).toEqual([
      'naive-websocket',
      'NETWORK 16, CLOSED 8',
      '0.09',
      '3.1',
      '9.7',
    ]);
    expect(rowStarting(table, 'short-poll')).toEqual(['short-poll', '–', '0.09', '3.1', '9.7']);
  });

  it('shows the loss the clients could tell, and what none could see, per transport', () => {
    const noFault = section(plain, 'Client side');
    expect(
      cells(
        present(
          noFault.find((l) => l.startsWith('transport')),
          'the header line',
        ),
      ),
    ).toEqual(['transport', 'lost', 'detected', 'unseen', 'loop p50 ms', 'loop p99 ms', 'loop max ms']);
    expect(rowStarting(noFault, 'long-poll')).toEqual(['long-poll', '0', '0', '0', '0.06', '2.1', '9.3']);
    // A restart's tail: lost, and no client could tell.
    const restart = structuredClone(plainSummary);
    Object.assign(restart.transports['short-poll'] as object, { lost: 61, lostDetected: 0, recoveryMs: 531.9 });
    const table = section(renderTable(restart, { color: false }), 'Client side');
    expect(rowStarting(table, 'short-poll').slice(0, 5)).toEqual(['short-poll', '61', '0', '61', '532']);
  });

  it('divides the cost by the messages counted, and marks an overhead below the floor', () => {
    const table = section(fanOut, 'Requests and wire bytes per message');
    expect(table.join(' ')).toContain('÷ the messages the clients received while the counters ran (msgs counted)');
    expect(rowStarting(table, 'websocket')).toEqual(['websocket', '0', '0', '20,000', '0', '251', '256', '-5 *', '4']);
    expect(rowStarting(table, 'sse')[7]).toBe('15.8 *');
    expect(rowStarting(table, 'long-poll')[7]).toBe('521');
    expect(table.join(' ')).toContain('* Overhead below the floor is not a saving');
    expect(section(plain, 'Requests and wire bytes per message').join(' ')).not.toContain('below the floor');
  });

  it('gives the server CPU per delivered message over a fan-out sweep, coarse values marked', () => {
    const table = section(fanOut, 'Server cost over the sweep (clients per transport)');
    expect(cells(table.find((l) => l.startsWith('clients per transport')) as string)).toEqual([
      'clients per transport',
      'transport',
      'server CPU ms',
      'CPU µs/msg',
      'msgs counted',
      'RSS max',
    ]);
    expect(rowStarting(table, '2,000')).toEqual(['2,000', 'short-poll', '710', '35.5', '20,000', '214 MiB']);
    expect(rowStarting(table, 'long-poll', '1,520')).toEqual(['long-poll', '1,520', '76', '20,000', '256 MiB']);
    // 40 ms of CPU is four /proc ticks: marked, and the note says why.
    expect(rowStarting(table, 'sse', '≈40')).toEqual(['sse', '≈40', '≈40', '1,000', '104 MiB']);
    expect(table.join(' ')).toContain('≈: under 100 ms of CPU');
    // Not for a sweep without serverCost.
    expect(renderTable(sweepSummary, { color: false })).not.toContain('Server cost over the sweep');
  });

  it('puts the client thread delay beside the p99 in the sweep table', () => {
    const table = section(fanOut, 'Sweep over clients per transport (clients)');
    expect(cells(table.find((l) => l.startsWith('clients per transport')) as string)).toEqual([
      'clients per transport',
      'transport',
      'p50 ms',
      'p50 predicted',
      'p99 ms',
      'loop p99 ms',
      'bytes/msg',
      'req/msg',
    ]);
    expect(rowStarting(table, 'long-poll', '142')).toEqual(['long-poll', '142', '–', '261', '257', '777', '1']);
  });

  it('gives polls/s and CPU per poll for the lab, bare Fastify and the bare node:http baseline', () => {
    const table = section(plain, 'HTTP capacity (autocannon)');
    expect(table[1]).toMatch(/^autocannon, 10 connections, pipelining 1, 3 alternated rounds of 3 s each\./);
    const rows = table.slice(table.findIndex((l) => l.startsWith('─')) + 1).map((l) => l.split(/\s{2,}/));
    expect(rows).toEqual([
      ['/api/poll (lab)', '40,980', '0.552×', '<1', '1', '0', '24.2', '99%'],
      ['/api/poll (bare Fastify, same body)', '66,057', '0.889×', '<1', '<1', '0', '14.3', '94%'],
      ['bare node:http, same body (baseline)', '74,300', '1×', '–', '–', '–', '12.7', '–'],
    ]);
  });

  it('prints a runner line, and keeps every table within about 110 columns', () => {
    expect(plain).toContain(
      'runner: 4,210 ms CPU (clients and proxies, every thread), main-thread loop delay p99 1.65 ms, max 13 ms',
    );
    for (const summary of [plainSummary, sweepSummary, reconnectSummary, fanOutSummary]) {
      const text = renderTable(summary, { color: false });
      for (const model of summaryTables(summary)) {
        const lines = section(text, model.title);
        expect(Math.max(...lines.map((l) => [...l].length)), `${summary.scenario}: ${model.title}`).toBeLessThanOrEqual(
          110,
        );
      }
    }
  });

  it('shows the runner’s own publishes, a failed one in red in the terminal and marked in report.html', () => {
    expect(renderTable(plainSummary, { color: false })).not.toContain('publisher:');
    const failing: Summary = { ...plainSummary, publisher: { published: 398, failed: 2 } };
    expect(validateSummary(failing)).toEqual([]);
    const text = renderTable(failing, { color: true });
    expect(text).toContain(
      `${ESC}[31mpublisher: 398 messages published by the runner, 2 FAILED (messages no client could receive)`,
    );
    const clean = renderTable({ ...plainSummary, publisher: { published: 400, failed: 0 } }, { color: false });
    expect(clean).toContain('publisher: 400 messages published by the runner, none failed');
    expect(renderHtml(failing, [], '')).toContain(
      '<p class="bad">publisher: 398 messages published by the runner, 2 FAILED',
    );
    expect(validateSummary({ ...plainSummary, publisher: { published: 1, failed: -1 } })).toEqual([
      'summary.publisher.failed: expected a count (integer ≥ 0), got -1',
    ]);
  });

  it('wraps notes at word boundaries', () => {
    expect(wrap('aaa bbb ccc dddd', 8)).toEqual(['aaa bbb', 'ccc dddd']);
    expect(wrap('  ', 8)).toEqual([]);
    expect(wrap('averyveryverylongword x', 5)).toEqual(['averyveryverylongword', 'x']);
  });
});
