/** The h1-vs-h2 scenario's charts and tables come from summary.protocols alone, like every other. */
import { describe, expect, it } from 'vitest';
import { chartConfigs } from '../../../scenarios/render/charts/index.js';
import { renderTable, summaryTables } from '../../../scenarios/render/table/index.js';
import type { ProtocolRun, Summary } from '../../../scenarios/summary.js';
import { plainSummary } from '../../fixtures/summaries.js';
import { ANSI, view } from './helpers.js';

function run(protocol: ProtocolRun['protocol'], transport: ProtocolRun['transport'], headers: number[]): ProtocolRun {
  return {
    protocol,
    transport,
    messages: headers.length,
    requests: transport === 'sse' ? 1 : headers.length,
    connections: 1,
    requestsPerConnection: transport === 'sse' ? 1 : headers.length,
    wirePerMessage: 300,
    payloadPerMessage: 120,
    wirePerExchange: headers.map((h) => h + 120),
    headersPerExchange: headers,
    headersFirst: headers[0] ?? 0,
    headersLast: headers.at(-1) ?? 0,
    latencyMs: { p50: 1.5, p99: 4 },
    cpu: {
      messages: 50,
      serverUsPerMessage: 80,
      clientUsPerMessage: 120,
      serverGrossUsPerMessage: 170,
      clientGrossUsPerMessage: 320,
    },
  };
}

const summary: Summary = {
  ...plainSummary,
  scenario: 'h1-vs-h2',
  transports: {},
  groups: undefined,
  capacity: undefined,
  protocols: {
    messagesPerRun: 3,
    cpuMessagesPerRun: 50,
    publishCost: { serverUsPerMessage: 90, clientUsPerMessage: 200 },
    runs: [run('http/1.1', 'short-poll', [450, 451, 450]), run('h2c', 'short-poll', [235, 77, 77])],
    byRun: {},
    capacity: [
      {
        target: 'bare node:http2 (h2c)',
        protocol: 'h2c',
        requests: 100,
        succeeded: 100,
        requestsPerSecond: 1000,
        clients: 4,
        streamsPerClient: 10,
        serverCpuUsPerRequest: 50,
        ratioToBare: null,
      },
      {
        target: 'lab short poll over h2c',
        protocol: 'h2c',
        requests: 100,
        succeeded: 99,
        requestsPerSecond: 600,
        clients: 4,
        streamsPerClient: 10,
        serverCpuUsPerRequest: 300,
        ratioToBare: 0.6,
      },
    ],
    h2load: 'h2load nghttp2/1.52.0',
    notes: {},
  },
};

describe('h1-vs-h2 rendering', () => {
  it('draws the HPACK curve, bytes, age, CPU and h2load charts, and no empty per-transport chart', () => {
    const charts = chartConfigs(summary);
    expect(charts.map((c) => c.file)).toEqual([
      'hpack-headers.png',
      'bytes-per-message.png',
      'age-per-protocol.png',
      'cpu-per-message.png',
      'h2load.png',
    ]);
    const hpack = view(charts[0]?.config);
    expect(hpack.data.datasets.map((d) => d.data)).toEqual([
      [450, 451, 450],
      [235, 77, 77],
    ]);
  });

  it('tables one row per transport and protocol and one per h2load target; a short count is marked', () => {
    const titles = summaryTables(summary).map((t) => t.title);
    expect(titles).toEqual(['Per transport and protocol', 'Capacity (h2load)']);
    const text = renderTable(summary, { color: false }).replace(ANSI, '');
    expect(text).toMatch(/short-poll\s+h2c\s+3\/3\s+300\s+235\s+77/);
    expect(text).toMatch(/lab short poll over h2c\s+600\s+0\.6×\s+99\/100\s+300/);
    const cap = summaryTables(summary)[1];
    expect(cap?.rows[1]?.[3]).toEqual({ text: '99/100', tone: 'bad' });
  });
});
