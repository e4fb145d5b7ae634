/**
 * The scale-out scenario's terminal table, PNG charts and offline report.html, from its summary
 * alone (so `tsx scenarios/scale-out/render.ts <dir>` redraws committed results).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartConfiguration } from 'chart.js';
import { TRANSPORTS } from '../../contract/index.js';
import { GREY, ORANGE, TRANSPORT_COLORS } from '../render/charts/style.js';
import { escapeHtml } from '../render/html.js';
import { renderPng } from '../render/png.js';
import type { ScaleOutSummary } from './run.js';

const SIZE = { width: 1100, height: 560 };
const INSTANCE_COLORS = ['#0072B2', '#009E73', '#CC79A7', '#D55E00'];

const fixed = (value: number | null, digits = 1) => (value === null ? '—' : value.toFixed(digits));

export function scaleOutTable(summary: ScaleOutSummary): string {
  const lines = [
    `scale-out — ${summary.machine.note} Load average at start: ${summary.machine.loadAverageAtStart?.join(' / ') ?? '—'}.`,
    '',
    `instances  published  deliveries/s  server CPU µs/delivery (each instance)   Redis CPU µs/publish   p50/p99 ms (${TRANSPORTS.join(', ')})`,
  ];
  for (const step of summary.steps) {
    const cpu = step.perInstance.map((i) => `${i.name} ${fixed(i.cpuUsPerDelivery)}`).join(', ');
    const lat = TRANSPORTS.map((t) => `${fixed(step.latency[t].p50)}/${fixed(step.latency[t].p99)}`).join('  ');
    lines.push(
      `${String(step.instances).padStart(9)}  ${String(step.published).padStart(9)}  ${step.deliveriesPerS.toFixed(0).padStart(12)}  ${cpu.padEnd(40)} ${fixed(step.redisCpuUsPerPublished).padStart(20)}   ${lat}`,
    );
  }
  const f = summary.fault;
  lines.push(
    '',
    `fault run (${f.instances} instances): SIGKILL ${f.killed} at ${f.killAtS} s, Redis restarted empty at ${f.redisRestartAtS} s`,
  );
  lines.push(
    'transport   clients  delivered  lost  duplicated  epoch resets  clients with exactly one epoch reset  caught up  served after the kill by',
  );
  for (const t of TRANSPORTS) {
    const r = f.perTransport[t];
    lines.push(
      `${t.padEnd(10)}  ${String(r.clients).padStart(7)}  ${String(r.delivered).padStart(9)}  ${String(r.lost).padStart(4)}  ${String(r.duplicates).padStart(10)}  ${String(r.epochResets).padStart(12)}  ${String(r.clientsWithOneEpochReset).padStart(36)}  ${String(r.caughtUp).padStart(9)}  ${r.servedAfterKill.join(', ')}`,
    );
  }
  for (const step of summary.steps) {
    const probe = step.stickiness;
    if (!probe) continue;
    const sio = probe.socketIoPolling;
    lines.push(
      '',
      `no sticky sessions, ${probe.instances} instances: Socket.IO polling — ${sio.sessionIdUnknown} of ${sio.requests} requests answered 400 "Session ID unknown", ${sio.sessionsBroken} of ${sio.sessions} sessions broken;`,
      `                                   lab long polls with a cursor — ${probe.labLongPoll.failed} of ${probe.labLongPoll.requests} failed, served by ${probe.labLongPoll.instancesSeen.join(', ')}`,
    );
  }
  lines.push('', summary.socketIo);
  return lines.join('\n');
}

function throughputChart(summary: ScaleOutSummary): ChartConfiguration {
  const maxInstances = Math.max(...summary.steps.map((s) => s.instances));
  const labels = summary.steps.map((s) => `${s.instances} instance${s.instances > 1 ? 's' : ''}`);
  return {
    type: 'bar',
    data: {
      labels,
      datasets: Array.from({ length: maxInstances }, (_, i) => ({
        label: `i${i + 1}`,
        data: summary.steps.map((s) => {
          const inst = s.perInstance.find((p) => p.name === `i${i + 1}`);
          return inst ? inst.deliveries / s.windowS : 0;
        }),
        backgroundColor: INSTANCE_COLORS[i % INSTANCE_COLORS.length] as string,
        stack: 'deliveries',
      })),
    },
    options: {
      animation: false,
      plugins: {
        title: {
          display: true,
          text: 'Deliveries per second, by the instance that served them (same clients, same feed)',
        },
        subtitle: {
          display: true,
          color: GREY,
          text: `${summary.settings.perTransport} clients per transport through HAProxy (no stickiness), ${summary.settings.rate} msg/s. ${summary.machine.cores} cores shared by all: the total cannot grow past them.`,
        },
      },
      scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'deliveries / s' } } },
    },
  };
}

function costChart(summary: ScaleOutSummary): ChartConfiguration {
  const labels = summary.steps.map((s) => `${s.instances} instance${s.instances > 1 ? 's' : ''}`);
  const maxInstances = Math.max(...summary.steps.map((s) => s.instances));
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        ...Array.from({ length: maxInstances }, (_, i) => ({
          label: `server CPU per delivery, i${i + 1}`,
          data: summary.steps.map((s) => s.perInstance.find((p) => p.name === `i${i + 1}`)?.cpuUsPerDelivery ?? null),
          backgroundColor: INSTANCE_COLORS[i % INSTANCE_COLORS.length] as string,
        })),
        {
          label: 'Redis CPU per published message',
          data: summary.steps.map((s) => s.redisCpuUsPerPublished),
          backgroundColor: ORANGE,
        },
      ],
    },
    options: {
      animation: false,
      plugins: {
        title: { display: true, text: 'CPU per message: each instance per delivery, Redis per publish (µs)' },
        subtitle: {
          display: true,
          color: GREY,
          text: 'utime+stime from /proc over the measured window; ±10 ms tick resolution per reading',
        },
      },
      scales: { y: { title: { display: true, text: 'CPU µs' } } },
    },
  };
}

function faultChart(summary: ScaleOutSummary): ChartConfiguration {
  const { bucketMs, counts } = summary.fault.timeline;
  const length = counts['short-poll'].length;
  const labels = Array.from({ length }, (_, i) => ((i * bucketMs) / 1000).toFixed(1));
  return {
    type: 'line',
    data: {
      labels,
      datasets: TRANSPORTS.map((t) => ({
        label: t,
        data: counts[t].map((n) => n / (bucketMs / 1000)),
        borderColor: TRANSPORT_COLORS[t],
        backgroundColor: TRANSPORT_COLORS[t],
        pointRadius: 0,
        borderWidth: 2,
        stepped: true,
      })),
    },
    options: {
      animation: false,
      plugins: {
        title: {
          display: true,
          text: `Fault run: ${summary.fault.killed} killed at ${summary.fault.killAtS} s, Redis restarted empty at ${summary.fault.redisRestartAtS} s`,
        },
        subtitle: {
          display: true,
          color: GREY,
          text: `Lost: ${TRANSPORTS.map((t) => summary.fault.perTransport[t].lost).join('/')}, duplicated: ${TRANSPORTS.map((t) => summary.fault.perTransport[t].duplicates).join('/')} (${TRANSPORTS.join('/')}). Pauses: the ticker lease moving (≤ 3 s), Redis away.`,
        },
      },
      scales: {
        x: { title: { display: true, text: 'seconds into the run' }, ticks: { maxTicksLimit: 13 } },
        y: { title: { display: true, text: 'deliveries / s (all clients of the transport)' } },
      },
    },
  };
}

export async function renderScaleOut(
  dir: string,
  summary: ScaleOutSummary,
): Promise<{ table: string; written: string[] }> {
  const charts: [string, ChartConfiguration][] = [
    ['throughput-per-instance.png', throughputChart(summary)],
    ['cpu-per-message.png', costChart(summary)],
    ['fault-timeline.png', faultChart(summary)],
  ];
  const written: string[] = [];
  for (const [file, config] of charts) {
    writeFileSync(join(dir, file), await renderPng(config, SIZE));
    written.push(file);
  }
  const table = scaleOutTable(summary);
  writeFileSync(
    join(dir, 'report.html'),
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>scale-out — ${escapeHtml(summary.startedAt)}</title>
<body style="font-family: sans-serif; max-width: 1150px; margin: 2em auto">
<h1>scale-out</h1><p>${escapeHtml(summary.machine.note)}</p>
<pre>${escapeHtml(table)}</pre>
${charts.map(([file]) => `<p><img src="${file}" alt="${file}" width="1100"></p>`).join('\n')}
</body></html>
`,
  );
  written.push('report.html');
  return { table, written };
}

if (process.argv[1]?.endsWith('render.ts') && process.argv[2]) {
  const dir = process.argv[2];
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as ScaleOutSummary;
  renderScaleOut(dir, summary).then(({ table }) => console.log(table));
}
