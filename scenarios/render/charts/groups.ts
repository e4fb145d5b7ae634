/** Client groups: messages lost per transport, resuming vs naive (resume off) groups. */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { categoryAxis, stacked, valueAxis } from '../../../charts/axes.js';
import {
  baseOptions,
  type ChartSpec,
  finite,
  GREY,
  ORANGE,
  runLine,
  type Value,
  withAlpha,
} from '../../../charts/style.js';
import type { TransportName } from '../../../contract/index.js';
import type { GroupSummary, Summary } from '../../summary.js';
import { formatValue } from '../table/format.js';
import { presentTransports } from '../table/order.js';

const RESUME_ON = GREY;
const RESUME_OFF = ORANGE;

/** Messages lost per transport, resuming vs naive groups; the part no client could tell, lighter. */
export function groupLossChart(summary: Summary): ChartSpec | null {
  const groups = summary.groups ?? [];
  if (!groups.some((g) => g.resume) || !groups.some((g) => !g.resume)) return null;
  const transports = presentTransports(Object.fromEntries(groups.map((g) => [g.transport, true])));
  const split = groups.some((g) => g.lostDetected != null);
  /** Sum over a transport's groups with that resume setting; null when it has none. */
  const total = (t: TransportName, resume: boolean, pick: (g: GroupSummary) => number | null | undefined) => {
    const matching = groups.filter((g) => g.transport === t && g.resume === resume);
    if (matching.length === 0) return null;
    return matching.reduce((sum, g) => sum + (finite(pick(g)) ?? 0), 0);
  };
  const lost = (t: TransportName, resume: boolean) => total(t, resume, (g) => g.lost);
  const seen = (t: TransportName, resume: boolean) =>
    total(t, resume, (g) => Math.min(g.lost, g.lostDetected ?? g.lost));
  const datasets: ChartDataset<'bar', Value[]>[] = [];
  for (const resume of [true, false]) {
    const color = resume ? RESUME_ON : RESUME_OFF;
    const name = resume ? 'resume on' : 'resume off (naive)';
    datasets.push({
      label: split ? `${name}: lost, the clients could tell` : `${name}: lost`,
      data: transports.map((t) => (split ? seen(t, resume) : lost(t, resume))),
      backgroundColor: color,
      borderColor: color,
      borderWidth: 1,
      stack: resume ? 'on' : 'off',
    });
    if (split)
      datasets.push({
        label: `${name}: lost, no client could tell`,
        data: transports.map((t) => {
          const l = lost(t, resume);
          const s = seen(t, resume);
          return l === null || s === null ? null : l - s;
        }),
        backgroundColor: withAlpha(color, 0.3),
        borderColor: color,
        borderWidth: 1.5,
        stack: resume ? 'on' : 'off',
      });
  }
  const title = 'Messages lost per client group: resume on vs off';
  const parts = [runLine(summary)];
  if (split)
    parts.push('lighter: loss no client could tell (no seq hole, no reset notice) — e.g. the tail of a restart');
  const config = {
    type: 'bar',
    data: {
      labels: transports.map((t) => [t, `on ${formatValue(lost(t, true))} · off ${formatValue(lost(t, false))} lost`]),
      datasets,
    },
    options: {
      ...baseOptions(title, parts),
      scales: {
        x: stacked(categoryAxis('transport')),
        // Linear on purpose: a resuming group's zero is the lesson.
        y: stacked(valueAxis('messages lost, all clients of the group', 'messages', [], { allowLog: false })),
      },
    },
  } satisfies ChartConfiguration<'bar'>;
  return { file: 'groups-lost.png', title, config: config as ChartConfiguration };
}

/**
 * Wire bytes per message per client group, when groups differ in WebSocket framing (subprotocol
 * or compression, scenarios/library/ws-framing.ts): payload and framing overhead, stacked. A
 * compressed group can put fewer bytes on the wire than its messages hold: its bar is then the
 * wire alone, and the label says so.
 */
export function groupBytesChart(summary: Summary): ChartSpec | null {
  const groups = summary.groups ?? [];
  const defs = Array.isArray(summary.params.clients) ? (summary.params.clients as Record<string, unknown>[]) : [];
  if (groups.length < 2 || !defs.some((d) => d.subprotocol !== undefined || d.compress === true)) return null;
  const framing = (name: string) => {
    const d = defs.find((x) => x.name === name);
    const protocol = typeof d?.subprotocol === 'string' ? d.subprotocol : 'no subprotocol';
    return d?.compress === true ? `${protocol} + deflate` : protocol;
  };
  const wire = groups.map((g) => g.bytesPerMessage);
  const payload = groups.map((g) => g.payloadPerMessage);
  const title = 'Wire bytes per delivered message, per client group';
  const config = {
    type: 'bar',
    data: {
      labels: groups.map((g, i) => [
        g.name,
        framing(g.name),
        `${formatValue(wire[i] ?? null)} B/msg (payload ${formatValue(payload[i] ?? null)})`,
      ]),
      datasets: [
        {
          label: 'payload (the message as encoded: JSON or MessagePack), or the whole wire when it is smaller',
          data: groups.map((_, i) => Math.min(payload[i] ?? 0, wire[i] ?? 0)),
          backgroundColor: GREY,
          borderColor: GREY,
          borderWidth: 1,
          stack: 'wire',
        },
        {
          label: 'framing overhead',
          data: groups.map((_, i) => Math.max(0, (wire[i] ?? 0) - (payload[i] ?? 0))),
          backgroundColor: ORANGE,
          borderColor: ORANGE,
          borderWidth: 1,
          stack: 'wire',
        },
      ] satisfies ChartDataset<'bar', Value[]>[],
    },
    options: {
      ...baseOptions(title, [runLine(summary), 'bytes counted at the clients’ TCP sockets, both ways']),
      scales: {
        x: stacked(categoryAxis('client group')),
        y: stacked(valueAxis('wire bytes per delivered message', 'bytes', [], { allowLog: false })),
      },
    },
  } satisfies ChartConfiguration<'bar'>;
  return { file: 'groups-bytes.png', title, config: config as ChartConfiguration };
}
