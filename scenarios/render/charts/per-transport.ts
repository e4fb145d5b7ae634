/**
 * The per-transport charts: latency percentiles, wire bytes and HTTP requests per message, one
 * bar (or group of bars) per transport. For a sweep they show its last point only.
 */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { categoryAxis, stacked, valueAxis } from '../../../charts/axes.js';
import {
  baseOptions,
  type ChartSpec,
  finite,
  INK,
  runLine,
  TRANSPORT_COLORS,
  type Value,
} from '../../../charts/style.js';
import type { TransportName } from '../../../contract/index.js';
import type { Summary, TransportSummary } from '../../summary.js';
import { formatValue, lastSweepPoint } from '../table/format.js';
import { presentTransports } from '../table/order.js';
import { type ErrorBar, errorBar, repeatLine } from './error-bars.js';

const PAYLOAD_COLOR = '#9ca3af';

/** What the per-transport charts of a sweep show: the last point only (`transports`). */
export function transportsSubtitle(summary: Summary): string {
  let base = runLine(summary);
  // With several groups per transport, `transports` holds each transport's first one.
  const groups = summary.groups ?? [];
  if (groups.length > 0) {
    const firsts = presentTransports(summary.transports).map((t) => groups.find((g) => g.transport === t));
    const resume = firsts.every((g) => g?.resume === true)
      ? ' (resume on)'
      : firsts.every((g) => g?.resume === false)
        ? ' (resume off)'
        : '';
    base += ` · each transport's first client group${resume}; every group: groups-lost.png and the report's tables`;
  }
  const repeated = repeatLine(summary);
  if (repeated) base += ` · ${repeated}`;
  const last = lastSweepPoint(summary);
  return last === undefined ? base : `${base} · last sweep point: ${last}`;
}

const PERCENTILES = [
  { key: 'p50', label: 'p50' },
  { key: 'p90', label: 'p90' },
  { key: 'p99', label: 'p99' },
  { key: 'p999', label: 'p99.9' },
] as const;

export function latencyChart(summary: Summary): ChartSpec {
  const transports = presentTransports(summary.transports);
  const datasets = transports.map((t) => {
    const s = summary.transports[t] as TransportSummary;
    return {
      label: t,
      data: PERCENTILES.map((p) => finite(s.latencyMs?.[p.key])),
      errorBars: PERCENTILES.map((p) => errorBar(summary, (run) => run.transports[t]?.latencyMs?.[p.key])),
      backgroundColor: TRANSPORT_COLORS[t],
      borderColor: TRANSPORT_COLORS[t],
      borderWidth: 1,
    };
  });
  const title = 'Event age (latency) percentiles per transport';
  const config = {
    type: 'bar',
    data: { labels: PERCENTILES.map((p) => p.label), datasets },
    options: {
      ...baseOptions(title, transportsSubtitle(summary)),
      scales: {
        x: categoryAxis('percentile of delivered messages'),
        y: valueAxis('event age', 'ms', [
          ...datasets.flatMap((d) => d.data),
          ...datasets.flatMap((d) => d.errorBars.map((e) => e?.hi ?? null)),
        ]),
      },
    },
  } satisfies ChartConfiguration<'bar'>;
  return { file: 'latency-percentiles.png', title, config: config as ChartConfiguration };
}

export function bytesChart(summary: Summary): ChartSpec {
  const transports = presentTransports(summary.transports);
  const of = (t: TransportName) => summary.transports[t] as TransportSummary;
  const rows = transports.map((transport) => {
    const payload = finite(of(transport).payloadPerMessage);
    const overhead = finite(of(transport).floorOverheadPerMessage);
    const floor = overhead === null || payload === null ? null : payload + overhead;
    return { transport, payload, wire: finite(of(transport).bytesPerMessage), floor };
  });
  const payload = rows.map((r) => r.payload);
  const wire = rows.map((r) => r.wire);
  const wireHigh = transports.map((t) => errorBar(summary, (run) => run.transports[t]?.bytesPerMessage)?.hi ?? null);
  const floor = rows.map((r) => r.floor);
  // `order` sets the legend order and the drawing order (highest first): the floor marker is
  // drawn over the overhead bars it sits in.
  const datasets: ChartDataset<'bar' | 'line', Value[]>[] = [
    {
      type: 'bar',
      label: 'payload (message JSON)',
      data: payload,
      backgroundColor: PAYLOAD_COLOR,
      stack: 'wire',
      order: 0,
    },
    {
      type: 'line',
      label: 'protocol floor (payload + least framing)',
      data: floor,
      showLine: false,
      pointStyle: 'line',
      pointRadius: 34,
      pointHoverRadius: 34,
      borderWidth: 3,
      borderColor: INK,
      backgroundColor: INK,
      // Not stacked on the bars: a floor is a level, not an amount.
      stack: 'floor',
      order: 1,
    },
    // One overhead dataset per transport (a value at its own index only), so the legend
    // shows the transport colours.
    ...transports.map((t, i): ChartDataset<'bar', Value[]> & { errorBars: (ErrorBar | null)[] } => ({
      type: 'bar',
      label: `${t} overhead`,
      data: rows.map((r, j) =>
        j === i && r.wire !== null && r.payload !== null ? Math.max(0, r.wire - r.payload) : null,
      ),
      // Around the bar's top: the wire bytes per message of each run.
      errorBars: rows.map((_, j) => (j === i ? errorBar(summary, (run) => run.transports[t]?.bytesPerMessage) : null)),
      backgroundColor: TRANSPORT_COLORS[t],
      stack: 'wire',
      order: 2,
    })),
  ];
  const title = 'Wire bytes per delivered message: payload vs overhead';
  // Less overhead than the protocol's floor (even fewer wire bytes than payload) is no saving:
  // the counting window's edges moved the divisor. Said in the subtitle; a negative overhead
  // cannot be stacked, so that bar shows the payload alone.
  const belowFloor = rows
    .filter((r) => r.wire !== null && r.payload !== null && r.floor !== null && r.wire < r.floor - 0.5)
    .map((r) => r.transport);
  const underPayload = rows
    .filter((r) => r.wire !== null && r.payload !== null && r.wire < r.payload)
    .map((r) => r.transport);
  const parts = [transportsSubtitle(summary)];
  if (belowFloor.length > 0)
    parts.push(
      `${belowFloor.join(', ')}: below the protocol floor — an edge effect of the counting window, not a saving${underPayload.length > 0 ? ` (${underPayload.join(', ')}: under the payload itself; the bar shows the payload, the label the measurement)` : ''}`,
    );
  const config = {
    type: 'bar',
    data: {
      labels: rows.map((r) => [r.transport, `${formatValue(r.wire)} B/msg`]),
      datasets,
    },
    options: {
      ...baseOptions(title, parts),
      scales: {
        x: stacked(categoryAxis('transport')),
        y: stacked(valueAxis('wire bytes per delivered message', 'bytes', [...wire, ...payload, ...wireHigh])),
      },
    },
  };
  return { file: 'bytes-per-message.png', title, config: config as ChartConfiguration };
}

export function requestsChart(summary: Summary): ChartSpec {
  const transports = presentTransports(summary.transports);
  const values = transports.map((t) => finite(summary.transports[t]?.requestsPerMessage));
  const datasets = transports.map((t, i) => ({
    label: t,
    data: values.map((v, j) => (j === i ? v : null)),
    errorBars: values.map((_, j) =>
      j === i ? errorBar(summary, (run) => run.transports[t]?.requestsPerMessage) : null,
    ),
    backgroundColor: TRANSPORT_COLORS[t],
    borderColor: TRANSPORT_COLORS[t],
    // Each category holds only its own transport's bar, centred.
    skipNull: true,
  }));
  const title = 'HTTP requests per delivered message';
  // A stream's one request per connection came before the counting window: say why it is 0.
  const none = transports.filter((t) => {
    const s = summary.transports[t] as TransportSummary;
    return s.requests === 0 && (s.countedMessages ?? s.delivered) > 0;
  });
  const parts = [transportsSubtitle(summary)];
  if (none.length > 0)
    parts.push(`${none.join(', ')}: 0 — their connections were opened before the counting window and held throughout`);
  const config = {
    type: 'bar',
    data: {
      labels: transports.map((t, i) => [t, `${formatValue(values[i])} requests/msg`]),
      datasets,
    },
    options: {
      ...baseOptions(title, parts),
      scales: {
        x: categoryAxis('transport'),
        // Linear on purpose: the streams' near-zero bar is the lesson; the value is in the label.
        y: valueAxis(
          'HTTP requests per delivered message',
          'requests/message',
          [...values, ...datasets.map((d) => d.errorBars[datasets.indexOf(d)]?.hi ?? null)],
          { allowLog: false },
        ),
      },
    },
  } satisfies ChartConfiguration<'bar'>;
  return { file: 'requests-per-message.png', title, config: config as ChartConfiguration };
}
