/**
 * The h1-vs-h2 charts (summary.protocols, scenarios/h1-vs-h2/compare.ts): header bytes by request
 * number (HPACK), wire bytes per message, event age, the server's and the client's CPU per
 * message, and h2load's requests per second against the lab and a bare node:http2 server.
 */
import type { ChartConfiguration } from 'chart.js';
import { categoryAxis, type ScaleOptions, valueAxis } from '../../../charts/axes.js';
import { baseOptions, type ChartSpec, GREY, ORANGE, runLine } from '../../../charts/style.js';
import type { ProtocolComparison, ProtocolRun, Summary } from '../../summary.js';
import { formatCount, formatValue } from '../table/format.js';

/** One colour per protocol (no transport's: these charts compare protocols). */
export const PROTOCOL_COLORS: Record<ProtocolRun['protocol'], string> = {
  'http/1.1': GREY,
  h2c: '#0072B2',
  h2: '#009E73',
};
const PROTOCOLS = Object.keys(PROTOCOL_COLORS) as ProtocolRun['protocol'][];
const TRANSPORTS: ProtocolRun['transport'][] = ['short-poll', 'long-poll', 'sse'];

const find = (p: ProtocolComparison, transport: string, protocol: string) =>
  p.runs.find((r) => r.transport === transport && r.protocol === protocol);

function hpackChart(summary: Summary, p: ProtocolComparison): ChartSpec {
  const polls = p.runs.filter((r) => r.transport !== 'sse');
  const length = Math.max(0, ...polls.map((r) => r.headersPerExchange.length));
  const title = 'Header bytes of each poll, by request number on one connection (HPACK)';
  const config = {
    type: 'line',
    data: {
      labels: Array.from({ length }, (_, i) => String(i + 1)),
      datasets: polls.map((r) => ({
        label: `${r.transport} over ${r.protocol}: ${r.headersFirst} B → ${r.headersLast} B`,
        data: r.headersPerExchange,
        borderColor: PROTOCOL_COLORS[r.protocol],
        backgroundColor: PROTOCOL_COLORS[r.protocol],
        borderDash: r.transport === 'long-poll' ? [6, 4] : [],
        pointRadius: 0,
        borderWidth: 2,
      })),
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        'request + answer headers, both directions, at the server',
        'h2: HEADERS frames (HPACK block + 9 B frame header), exact; HTTP/1.1: exchange − body',
        'solid: short poll; dashed: long poll',
      ]),
      scales: {
        x: categoryAxis('request # on one connection'),
        y: valueAxis('header bytes per exchange', 'B', [], { allowLog: false }),
      },
    },
  };
  return { file: 'hpack-headers.png', title, config: config as ChartConfiguration };
}

/** Bars per transport, one dataset per protocol, of one figure of each run. */
function perRunChart(
  summary: Summary,
  p: ProtocolComparison,
  spec: { file: string; title: string; axis: string; unit: string; notes: string[]; value: (r: ProtocolRun) => number },
): ChartSpec {
  const config = {
    type: 'bar',
    data: {
      labels: TRANSPORTS,
      datasets: PROTOCOLS.map((protocol) => ({
        label: protocol,
        data: TRANSPORTS.map((t) => {
          const r = find(p, t, protocol);
          return r ? spec.value(r) : null;
        }),
        backgroundColor: PROTOCOL_COLORS[protocol],
        borderColor: PROTOCOL_COLORS[protocol],
      })),
    },
    options: {
      ...baseOptions(spec.title, [runLine(summary), ...spec.notes]),
      scales: {
        x: categoryAxis('transport'),
        y: valueAxis(spec.axis, spec.unit, [], { allowLog: false }),
      },
    },
  };
  return { file: spec.file, title: spec.title, config: config as ChartConfiguration };
}

function cpuChart(summary: Summary, p: ProtocolComparison): ChartSpec {
  const labels = TRANSPORTS.flatMap((t) => PROTOCOLS.map((protocol) => [t, protocol]));
  const title = 'CPU per message: the server (its own process) and the client, apart';
  const config = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'server µs per message',
          data: labels.map(([t, protocol]) => find(p, t as string, protocol as string)?.cpu.serverUsPerMessage ?? null),
          backgroundColor: ORANGE,
          borderColor: ORANGE,
        },
        {
          label: 'client µs per message',
          data: labels.map(([t, protocol]) => find(p, t as string, protocol as string)?.cpu.clientUsPerMessage ?? null),
          backgroundColor: GREY,
          borderColor: GREY,
        },
      ],
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        `${formatCount(p.cpuMessagesPerRun)} messages per run, no stats calls`,
        `net of a bare publish (server ${formatValue(p.publishCost.serverUsPerMessage)} µs, client ${formatValue(p.publishCost.clientUsPerMessage)} µs)`,
        'server: /proc of the lab process; client: the runner; 10 ms ticks',
      ]),
      scales: {
        x: categoryAxis('transport · protocol'),
        y: valueAxis('CPU per message', 'µs', [], { allowLog: false }),
      },
    },
  };
  return { file: 'cpu-per-message.png', title, config: config as ChartConfiguration };
}

function h2loadChart(summary: Summary, p: ProtocolComparison): ChartSpec {
  const title = 'h2load: requests per second, the lab vs a bare node:http2 server';
  const first = p.capacity[0];
  const scales: Record<string, ScaleOptions> = {
    x: categoryAxis('server answering GET /api/poll'),
    y: valueAxis('requests answered per second', 'req/s', [], { allowLog: false }),
  };
  const y1 = valueAxis('server CPU per request', 'µs', [], { allowLog: false }) as Record<string, unknown>;
  scales.y1 = { ...y1, position: 'right', grid: { drawOnChartArea: false } } as ScaleOptions;
  const config = {
    type: 'bar',
    data: {
      labels: p.capacity.map((c) => [
        c.target,
        `${formatCount(c.requestsPerSecond)} req/s${c.ratioToBare === null ? '' : ` · ${formatValue(c.ratioToBare)}× bare`}`,
      ]),
      datasets: [
        {
          label: 'requests per second (left axis)',
          data: p.capacity.map((c) => c.requestsPerSecond),
          backgroundColor: PROTOCOL_COLORS.h2c,
          borderColor: PROTOCOL_COLORS.h2c,
          yAxisID: 'y',
        },
        {
          label: 'server CPU per request (right axis)',
          data: p.capacity.map((c) => c.serverCpuUsPerRequest),
          backgroundColor: ORANGE,
          borderColor: ORANGE,
          yAxisID: 'y1',
        },
      ],
    },
    options: {
      ...baseOptions(title, [
        runLine(summary),
        first
          ? `${formatCount(first.requests)} requests, ${first.clients} clients, ${first.streamsPerClient} streams each on h2 (1 on HTTP/1.1)`
          : '',
        '2 shared cores: requests/s is noisy; CPU per request is the steadier figure',
      ]),
      scales,
    },
  };
  return { file: 'h2load.png', title, config: config as ChartConfiguration };
}

export function protocolCharts(summary: Summary): ChartSpec[] {
  const p = summary.protocols;
  if (!p || p.runs.length === 0) return [];
  const charts = [
    hpackChart(summary, p),
    perRunChart(summary, p, {
      file: 'bytes-per-message.png',
      title: 'Wire bytes per message, per transport and protocol',
      axis: 'bytes per message (in + out)',
      unit: 'B',
      notes: [
        `at the server's TCP sockets, ${formatCount(p.messagesPerRun)} messages per run`,
        `payload ≈ ${formatValue(p.runs[0]?.payloadPerMessage)} B`,
        'h2 over TLS counts ciphertext',
      ],
      value: (r) => r.wirePerMessage,
    }),
    perRunChart(summary, p, {
      file: 'age-per-protocol.png',
      title: 'Event age p50 (publish → receipt), per transport and protocol',
      axis: 'age p50',
      unit: 'ms',
      notes: ['one host, one clock; a short poll is asked right after the publish, so its age is one request'],
      value: (r) => r.latencyMs.p50,
    }),
    cpuChart(summary, p),
  ];
  if (p.capacity.length > 0) charts.push(h2loadChart(summary, p));
  return charts;
}
