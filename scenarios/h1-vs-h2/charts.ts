/**
 * The h1-vs-h2 charts (PNG, through scenarios/render/png.ts) and an offline report.html:
 * header bytes of each short poll by request number (HPACK's effect), wire bytes per message
 * per transport and protocol, and capacity.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartConfiguration } from 'chart.js';
import { renderPng } from '../render/png.js';
import type { CapacityResult } from './capacity.js';
import type { Protocol } from './clients.js';

interface RunLike {
  protocol: Protocol;
  transport: string;
  wirePerMessage: number;
  headersPerExchange: number[];
  requestsPerConnection: number;
  ageMsP50: number;
  cpuMicrosPerMessage: number;
  payloadPerMessage: number;
}

const COLORS: Record<Protocol, string> = { 'http/1.1': '#6b7280', h2c: '#2563eb', h2: '#16a34a' };
const SIZE = { width: 960, height: 480 };

export async function writeCharts(
  dir: string,
  summary: { runs: RunLike[]; capacity: CapacityResult[]; messagesPerRun: number },
): Promise<void> {
  const polls = summary.runs.filter((r) => r.transport === 'short-poll');
  const hpack: ChartConfiguration = {
    type: 'line',
    data: {
      labels: polls[0]?.headersPerExchange.map((_, i) => String(i + 1)) ?? [],
      datasets: polls.map((r) => ({
        label: r.protocol,
        data: r.headersPerExchange,
        borderColor: COLORS[r.protocol],
        backgroundColor: COLORS[r.protocol],
        pointRadius: 0,
        borderWidth: 2,
      })),
    },
    options: {
      plugins: {
        title: {
          display: true,
          text: 'Short poll: header bytes per request + answer, by request number (HPACK indexes what repeats)',
        },
      },
      scales: {
        x: { title: { display: true, text: 'request # on one connection' } },
        y: { beginAtZero: true, title: { display: true, text: 'header bytes (both directions)' } },
      },
    },
  };
  const transports = ['short-poll', 'long-poll', 'sse'];
  const protocols: Protocol[] = ['http/1.1', 'h2c', 'h2'];
  const bytes: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: transports,
      datasets: protocols.map((p) => ({
        label: p,
        data: transports.map(
          (t) => summary.runs.find((r) => r.protocol === p && r.transport === t)?.wirePerMessage ?? 0,
        ),
        backgroundColor: COLORS[p],
      })),
    },
    options: {
      plugins: {
        title: {
          display: true,
          text: `Wire bytes per message (in + out, at the TCP socket; payload ≈ ${Math.round(summary.runs[0]?.payloadPerMessage ?? 0)} B)`,
        },
      },
      scales: { y: { beginAtZero: true, title: { display: true, text: 'bytes per message' } } },
    },
  };
  const capacity: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: summary.capacity.map((c) => c.target),
      datasets: [
        {
          label: 'requests/s (h2load)',
          data: summary.capacity.map((c) => c.requestsPerSecond),
          backgroundColor: '#2563eb',
        },
      ],
    },
    options: {
      indexAxis: 'y',
      plugins: {
        title: { display: true, text: 'Capacity: h2load, 4 clients (10 streams each on h2c, 1 on HTTP/1.1)' },
      },
      scales: {
        x: { beginAtZero: true, title: { display: true, text: 'requests per second (2 shared cores: noisy)' } },
      },
    },
  };
  writeFileSync(join(dir, 'hpack-headers.png'), await renderPng(hpack, SIZE));
  writeFileSync(join(dir, 'bytes-per-message.png'), await renderPng(bytes, SIZE));
  writeFileSync(join(dir, 'capacity.png'), await renderPng(capacity, SIZE));
  const rows = summary.runs
    .map(
      (r) =>
        `<tr><td>${r.transport}</td><td>${r.protocol}</td><td>${r.wirePerMessage.toFixed(1)}</td><td>${r.headersPerExchange[0]}</td><td>${r.headersPerExchange.at(-1)}</td><td>${r.requestsPerConnection.toFixed(0)}</td><td>${r.ageMsP50}</td><td>${r.cpuMicrosPerMessage.toFixed(0)}</td></tr>`,
    )
    .join('\n');
  writeFileSync(
    join(dir, 'report.html'),
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>h1-vs-h2</title>
<h1>h1-vs-h2</h1><p>${summary.messagesPerRun} messages per run, one fresh connection each. Source of truth: h2-summary.json.</p>
<table border="1" cellpadding="4"><tr><th>transport</th><th>protocol</th><th>wire B/message</th><th>header B, 1st</th><th>header B, last</th><th>requests/connection</th><th>age p50 ms</th><th>CPU µs/message (server+client)</th></tr>
${rows}</table>
<img src="hpack-headers.png" alt="HPACK"><img src="bytes-per-message.png" alt="bytes per message"><img src="capacity.png" alt="capacity">
</html>\n`,
  );
}
