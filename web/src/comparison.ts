/**
 * Every lane on the same axes: every message's event age over the last minute, then
 * latency, bytes per message (payload + overhead, with the protocol floor marked) and requests
 * per message, as chart.js bars and as a table with the exact numbers.
 */
import { TRANSPORT_COLORS, TRANSPORTS, type TransportName, withAlpha } from '../../contract/index.js';
import { ageChart, agePoints, Chart, INK, logGrid, logTick, PAYLOAD_GREY } from './charts.js';
import { type LaneCost, laneCost } from './cost.js';
import { h, must, setText } from './dom.js';
import { bytes, count, ms, percent, perMessage } from './format.js';
import { type Lane, SERIES_WINDOW_MS } from './lane.js';
import { LANE_KINDS } from './lanes/index.js';

const LABELS = TRANSPORTS.map((t) => LANE_KINDS[t].short);
const COLORS = TRANSPORTS.map((t) => TRANSPORT_COLORS[t]);
const SOFT = TRANSPORTS.map((t) => withAlpha(TRANSPORT_COLORS[t], 0.45));

type Column = 'received' | 'lost' | 'p50' | 'p99' | 'wire' | 'floor' | 'req' | 'empty';

function barOptions(title: string, log: boolean, stacked = false) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    plugins: {
      legend: { position: 'bottom' as const, labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true } },
      title: { display: false, text: title },
    },
    scales: {
      x: { stacked, grid: { display: false }, ticks: { color: INK } },
      y: log
        ? { type: 'logarithmic' as const, min: 0.1, ticks: { callback: logTick, autoSkip: false }, grid: logGrid }
        : { type: 'linear' as const, stacked, beginAtZero: true },
    },
  };
}

/** A lane's bar label; the WebSocket's names its framing: `WebSocket · msgpack + deflate`. */
function barLabel(lane: Lane): string {
  const label = LANE_KINDS[lane.transport].short;
  const client = lane.client;
  if (client === null || !('negotiated' in client)) return label;
  const { protocol, extensions } = client.negotiated;
  const framing = [
    protocol === 'lab.v1.msgpack' ? 'msgpack' : 'json',
    extensions.includes('permessage-deflate') ? 'deflate' : '',
  ]
    .filter(Boolean)
    .join(' + ');
  return `${label} · ${framing}`;
}

export class Comparison {
  private readonly timeline: ReturnType<typeof ageChart>;
  private readonly latency: Chart<'bar', (number | null)[]>;
  private readonly bytesChart: Chart<'bar' | 'line', (number | null)[]>;
  private readonly requests: Chart<'bar', (number | null)[]>;
  private readonly cells = new Map<string, HTMLElement>();

  constructor(private readonly lanes: readonly Lane[]) {
    this.timeline = ageChart(
      must<HTMLCanvasElement>('#chart-timeline'),
      lanes.map((lane) => ({
        label: LANE_KINDS[lane.transport].label,
        data: [],
        backgroundColor: withAlpha(TRANSPORT_COLORS[lane.transport], 0.65),
        borderColor: TRANSPORT_COLORS[lane.transport],
        pointRadius: 2.2,
        pointHoverRadius: 4,
      })),
      { log: true, legend: true, windowS: SERIES_WINDOW_MS / 1000 },
    );

    this.latency = new Chart(must<HTMLCanvasElement>('#chart-latency'), {
      type: 'bar',
      data: {
        labels: LABELS,
        datasets: [
          { label: 'p50', data: [], backgroundColor: COLORS, pointStyle: 'rect' },
          { label: 'p99', data: [], backgroundColor: SOFT, borderColor: COLORS, borderWidth: 1, pointStyle: 'rect' },
        ],
      },
      options: barOptions('event age', true),
    });

    this.bytesChart = new Chart(must<HTMLCanvasElement>('#chart-bytes'), {
      type: 'bar',
      data: {
        labels: LABELS,
        datasets: [
          { type: 'bar', label: 'payload', data: [], backgroundColor: PAYLOAD_GREY, stack: 'wire', pointStyle: 'rect' },
          { type: 'bar', label: 'overhead', data: [], backgroundColor: COLORS, stack: 'wire', pointStyle: 'rect' },
          {
            type: 'line',
            label: 'payload + protocol floor',
            data: [],
            // Drawn last (lowest order), or the bars hide it.
            order: -1,
            showLine: false,
            pointStyle: 'line',
            pointRadius: 16,
            pointHoverRadius: 16,
            borderWidth: 3,
            borderColor: INK,
            backgroundColor: INK,
          },
        ],
      },
      options: barOptions('bytes per message', false, true),
    });

    this.requests = new Chart(must<HTMLCanvasElement>('#chart-requests'), {
      type: 'bar',
      data: { labels: LABELS, datasets: [{ label: 'HTTP requests per message', data: [], backgroundColor: COLORS }] },
      options: { ...barOptions('requests per message', false), plugins: { legend: { display: false } } },
    });

    this.buildTable(must<HTMLTableElement>('#compare-table'));
  }

  /** Twice a second. */
  renderTimeline(now: number): void {
    this.lanes.forEach((lane, i) => {
      const dataset = this.timeline.data.datasets[i];
      if (dataset !== undefined) dataset.data = agePoints(lane.series, now, true);
    });
    this.timeline.update('none');
  }

  /** Once a second. */
  render(): void {
    const costs: (LaneCost | null)[] = this.lanes.map((lane) => {
      const counters = lane.counters();
      const last = lane.lastMessage;
      return counters === null ? null : laneCost(lane.transport, counters, { epoch: last?.epoch, seq: last?.seq });
    });
    const summaries = this.lanes.map((lane) => lane.latency.summary());
    const positive = (v: number) => (v > 0 ? v : 0.01);

    this.setData(
      this.latency,
      0,
      summaries.map((s) => (s.count === 0 ? null : positive(s.p50))),
    );
    this.setData(
      this.latency,
      1,
      summaries.map((s) => (s.count === 0 ? null : positive(s.p99))),
    );
    this.latency.update('none');

    // Compressed frames can carry fewer bytes than the message holds: the bar is then the wire alone.
    this.setData(
      this.bytesChart,
      0,
      costs.map((c) => (c === null ? null : Math.min(c.payloadPerMessage, c.wirePerMessage))),
    );
    this.setData(
      this.bytesChart,
      1,
      costs.map((c) => (c === null ? null : Math.max(0, c.overheadPerMessage))),
    );
    // The WebSocket bar says which framing it measures, so switching the lane's offer shows the saving.
    this.bytesChart.data.labels = this.lanes.map((lane) => barLabel(lane));
    this.setData(
      this.bytesChart,
      2,
      costs.map((c) => (c === null ? null : c.payloadPerMessage + c.floor.total)),
    );
    this.bytesChart.update('none');

    this.setData(
      this.requests,
      0,
      costs.map((c) => (c === null ? null : c.requestsPerMessage)),
    );
    this.requests.update('none');

    this.lanes.forEach((lane, i) => {
      const t = lane.transport;
      const cost = costs[i] ?? null;
      const s = summaries[i];
      const audit = lane.audit.snapshot();
      this.cell(t, 'received', count(lane.received));
      this.cell(t, 'lost', count(audit.lost));
      this.cell(t, 'p50', s === undefined || s.count === 0 ? '—' : ms(s.p50));
      this.cell(t, 'p99', s === undefined || s.count === 0 ? '—' : ms(s.p99));
      this.cell(t, 'wire', cost === null ? '—' : bytes(cost.wirePerMessage));
      this.cell(t, 'floor', cost === null ? '—' : bytes(cost.payloadPerMessage + cost.floor.total));
      this.cell(t, 'req', cost === null ? '—' : perMessage(cost.requestsPerMessage));
      this.cell(t, 'empty', cost?.emptyShare === null || cost === null ? 'n/a' : percent(cost.emptyShare));
    });
  }

  private setData<C extends Chart<'bar', (number | null)[]> | Chart<'bar' | 'line', (number | null)[]>>(
    chart: C,
    index: number,
    data: (number | null)[],
  ): void {
    const dataset = chart.data.datasets[index];
    if (dataset !== undefined) dataset.data = data;
  }

  private cell(transport: TransportName, column: Column, text: string): void {
    const element = this.cells.get(`${transport}/${column}`);
    if (element !== undefined) setText(element, text);
  }

  private buildTable(table: HTMLTableElement): void {
    const columns: [Column, string, string][] = [
      ['received', 'received', 'messages this lane received'],
      ['lost', 'lost', 'holes in seq'],
      ['p50', 'age p50', 'median event age'],
      ['p99', 'age p99', '99th percentile event age'],
      ['wire', 'wire B/msg', 'bytes on the wire (both ways) per message delivered'],
      ['floor', 'floor B/msg', 'payload + the least framing the protocol needs'],
      ['req', 'req/msg', 'HTTP requests per message delivered'],
      ['empty', 'empty', 'share of poll answers that carried nothing'],
    ];
    const head = h(
      'thead',
      {},
      h('tr', {}, h('th', {}, ''), ...columns.map(([, label, title]) => h('th', { class: 'num', title }, label))),
    );
    const body = h('tbody');
    for (const lane of this.lanes) {
      const t = lane.transport;
      const row = h(
        'tr',
        { 'data-transport': t },
        h('th', { style: `color: ${TRANSPORT_COLORS[t]}` }, LANE_KINDS[t].short),
      );
      for (const [column] of columns) {
        const td = h('td', { class: 'num mono' }, '—');
        this.cells.set(`${t}/${column}`, td);
        row.append(td);
      }
      body.append(row);
    }
    table.replaceChildren(head, body);
  }
}
