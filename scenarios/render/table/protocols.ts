/** The h1-vs-h2 tables (summary.protocols): one row per transport and protocol, then h2load's targets. */
import type { Summary } from '../../summary.js';
import { formatCount, formatValue } from './format.js';
import { type Cell, left, right, type TableModel } from './model.js';

export function protocolTable(summary: Summary): TableModel | null {
  const p = summary.protocols;
  if (!p || p.runs.length === 0) return null;
  const rows: Cell[][] = p.runs.map((r) => [
    { text: r.transport },
    { text: r.protocol },
    {
      text: `${formatCount(r.messages)}/${formatCount(p.messagesPerRun)}`,
      tone: r.messages === p.messagesPerRun ? undefined : 'bad',
    },
    { text: formatValue(r.wirePerMessage) },
    { text: formatCount(r.headersFirst) },
    { text: formatCount(r.headersLast) },
    { text: formatValue(r.requestsPerConnection) },
    { text: formatValue(r.latencyMs.p50) },
    { text: formatValue(r.latencyMs.p99) },
    { text: `${formatValue(r.cpu.serverUsPerMessage)} (${formatValue(r.cpu.serverGrossUsPerMessage)})` },
    { text: `${formatValue(r.cpu.clientUsPerMessage)} (${formatValue(r.cpu.clientGrossUsPerMessage)})` },
  ]);
  return {
    title: 'Per transport and protocol',
    note: `${p.messagesPerRun} messages per run on one fresh connection; B/msg at the server's TCP socket (TLS: ciphertext); headers: 1st and last exchange; CPU over ${p.cpuMessagesPerRun} more messages without stats calls, net of a bare publish (server ${formatValue(p.publishCost.serverUsPerMessage)} µs, client ${formatValue(p.publishCost.clientUsPerMessage)} µs).`,
    columns: [
      left('transport'),
      left('protocol'),
      right('messages'),
      right('B/msg'),
      right('headers 1st B'),
      right('headers last B'),
      right('req/conn'),
      right('age p50 ms'),
      right('age p99 ms'),
      right('server µs/msg net (gross)'),
      right('client µs/msg net (gross)'),
    ],
    rows,
  };
}

export function h2loadTable(summary: Summary): TableModel | null {
  const capacity = summary.protocols?.capacity ?? [];
  if (capacity.length === 0) return null;
  const first = capacity[0];
  return {
    title: 'Capacity (h2load)',
    note: first
      ? `${formatCount(first.requests)} requests of GET /api/poll, ${first.clients} clients, ${first.streamsPerClient} streams each on h2 (1 on HTTP/1.1); ratio: requests/s ÷ the bare node:http2 server's. ${summary.protocols?.h2load.split('\n')[0] ?? ''}`
      : undefined,
    columns: [left('server'), right('requests/s'), right('ratio'), right('2xx'), right('server CPU µs/req')],
    rows: capacity.map((c) => [
      { text: c.target },
      { text: formatCount(c.requestsPerSecond) },
      { text: c.ratioToBare === null ? '1× (bare)' : `${formatValue(c.ratioToBare)}×` },
      {
        text: `${formatCount(c.succeeded)}/${formatCount(c.requests)}`,
        tone: c.succeeded === c.requests ? undefined : 'bad',
      },
      { text: formatValue(c.serverCpuUsPerRequest) },
    ]),
  };
}
