/**
 * The scale-out tables (summary.scaleOut, scenarios/scale-out/): one row per step (instances), one
 * row per transport of the fault run, and the stickiness probe.
 */
import type { Summary } from '../../summary.js';
import { formatCount, formatValue } from './format.js';
import { type Cell, left, right, shouldBeZero, type TableModel } from './model.js';

const plural = (n: number) => `${n} instance${n === 1 ? '' : 's'}`;

export function scaleOutStepTable(summary: Summary): TableModel | null {
  const r = summary.scaleOut;
  if (!r || r.steps.length === 0) return null;
  const transports = Object.keys(r.settings.perTransport);
  const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
  return {
    title: 'Scale-out steps (one Redis feed, HAProxy round-robin, no stickiness)',
    note: `${r.note} Load average at start: ${r.loadAverageAtStart.join(' / ')}. ${formatValue(r.settings.rate)} msg/s of ${r.settings.payloadBytes} B; window ${formatValue(r.settings.windowMs / 1000)} s after ${formatValue(r.settings.warmupMs / 1000)} s of warm-up; CPU from /proc (10 ms ticks); age p50/p99 in ms.`,
    columns: [
      left('instances'),
      right('published'),
      right('deliveries/s'),
      left('server CPU µs/delivery, each instance'),
      right('Redis CPU µs/publish'),
      right('lost'),
      right('dup'),
      ...transports.map((t) => right(`${t} p50/p99`)),
    ],
    rows: r.steps.map((step): Cell[] => [
      { text: plural(step.instances) },
      { text: formatCount(step.published) },
      { text: formatCount(step.deliveriesPerS) },
      { text: step.perInstance.map((i) => `${i.name} ${formatValue(i.cpuUsPerDelivery)}`).join(', ') },
      { text: formatValue(step.redisCpuUsPerPublished) },
      shouldBeZero(sum(step.lost), 'bad'),
      shouldBeZero(sum(step.duplicates), 'bad'),
      ...transports.map((t) => {
        const l = step.latency[t];
        return { text: l ? `${formatValue(l.p50)}/${formatValue(l.p99)}` : '–' };
      }),
    ]),
  };
}

export function scaleOutFaultTable(summary: Summary): TableModel | null {
  const r = summary.scaleOut;
  if (!r) return null;
  const f = r.fault;
  return {
    title: `Fault run (${plural(f.instances)}): SIGKILL ${f.killed} at ${formatValue(f.killAtS)} s, Redis restarted empty at ${formatValue(f.redisRestartAtS)} s`,
    note: 'one epoch reset: clients whose only reset was the one of reason epoch (the Redis restart); caught up: at the final head of the final epoch.',
    columns: [
      left('transport'),
      right('clients'),
      right('delivered'),
      right('lost'),
      right('duplicated'),
      right('epoch resets'),
      right('one epoch reset'),
      right('caught up'),
      left('served after the kill by'),
    ],
    rows: Object.entries(f.perTransport).map(([t, row]): Cell[] => [
      { text: t },
      { text: formatCount(row.clients) },
      { text: formatCount(row.delivered) },
      shouldBeZero(row.lost, 'bad'),
      shouldBeZero(row.duplicates, 'bad'),
      { text: formatCount(row.epochResets) },
      {
        text: `${formatCount(row.clientsWithOneEpochReset)}/${formatCount(row.clients)}`,
        tone: row.clientsWithOneEpochReset === row.clients ? undefined : 'bad',
      },
      {
        text: `${formatCount(row.caughtUp)}/${formatCount(row.clients)}`,
        tone: row.caughtUp === row.clients ? undefined : 'bad',
      },
      {
        text: row.servedAfterKill.join(', '),
        tone: row.servedAfterKill.includes(f.killed) ? 'bad' : undefined,
      },
    ]),
  };
}

export function stickinessTable(summary: Summary): TableModel | null {
  const probe = summary.scaleOut?.steps.find((s) => s.stickiness)?.stickiness;
  if (!probe) return null;
  const sio = probe.socketIoPolling;
  const lab = probe.labLongPoll;
  return {
    title: `No sticky sessions, ${plural(probe.instances)}: Engine.IO polling vs the lab's long polls`,
    note: `${sio.sessions} Engine.IO polling sessions, ${sio.requests / Math.max(1, sio.sessions)} requests each after the handshake, through the balancer; as many lab long polls with a cursor. ${summary.scaleOut?.socketIo ?? ''}`,
    columns: [left('client'), right('requests'), right('failed'), left('what happened')],
    rows: [
      [
        { text: 'Socket.IO polling' },
        { text: formatCount(sio.requests) },
        { text: formatCount(sio.sessionIdUnknown), tone: sio.sessionIdUnknown > 0 ? 'warn' : undefined },
        { text: `400 "Session ID unknown"; ${sio.sessionsBroken} of ${sio.sessions} sessions broken` },
      ],
      [
        { text: 'lab long poll' },
        { text: formatCount(lab.requests) },
        shouldBeZero(lab.failed, 'bad'),
        { text: `served by ${lab.instancesSeen.join(', ')}` },
      ],
    ],
  };
}
