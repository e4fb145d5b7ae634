/** What the sweep charts measure: one chart per metric, with its prediction where there is one. */
import type { TransportSummary } from '../../summary.js';

/**
 * The keys of `SweepPoint.predicted[transport]` the sweep charts draw (dashed) beside the
 * measured value: `p50` and `p99` in ms, `bytesPerMessage` in bytes, `overheadPct` in % of wire
 * bytes, `requestsPerMessage`. Other keys are kept in summary.json but not drawn.
 */
export const PREDICTED_KEYS = ['p50', 'p99', 'bytesPerMessage', 'overheadPct', 'requestsPerMessage'] as const;
export type PredictedKey = (typeof PREDICTED_KEYS)[number];

export interface SweepMetric {
  file: string;
  title: string;
  axis: string;
  unit: string;
  /** The key of `SweepPoint.predicted[transport]` drawn dashed beside the measurement, if any. */
  predicted?: PredictedKey;
  measure: (s: TransportSummary) => number | null | undefined;
  max?: number;
  allowLog?: boolean;
  /** Drawn only when some point of some transport has the measurement. */
  optional?: boolean;
  /** A line of its own in the subtitle. */
  note?: string;
  /** Also draw each transport's client-thread loop delay p99, dotted, where it is a visible part of the value. */
  withLoopDelay?: boolean;
  /** Points too coarse to trust, drawn hollow, and why (in the subtitle when some are). */
  coarse?: (s: TransportSummary) => boolean;
  coarseNote?: string;
  /** false: draw only the transports' own curves, not their further groups (sweep-series.ts), and say why. */
  furtherGroups?: false;
  furtherGroupsNote?: string;
}

/** The sweep charts, in the order they are drawn. */
export const SWEEP_METRICS: SweepMetric[] = [
  {
    file: 'sweep-latency-p50.png',
    title: 'Median event age (p50) over the sweep',
    axis: 'p50 event age',
    unit: 'ms',
    predicted: 'p50',
    measure: (s) => s.latencyMs?.p50,
  },
  {
    file: 'sweep-latency-p99.png',
    title: 'Tail event age (p99) over the sweep',
    axis: 'p99 event age',
    unit: 'ms',
    predicted: 'p99',
    measure: (s) => s.latencyMs?.p99,
    withLoopDelay: true,
  },
  {
    file: 'sweep-server-cpu-per-message.png',
    title: 'Server CPU per delivered message over the sweep',
    axis: 'server CPU per delivered message',
    unit: 'µs',
    measure: (s) => s.serverCost?.cpuUsPerDelivered,
    optional: true,
    coarse: (s) => (s.serverCost?.cpuMs ?? Number.POSITIVE_INFINITY) < 100,
    note: 'each transport ran alone against the server · CPU ÷ the messages its clients received while counting',
    coarseNote: "hollow: under 100 ms of CPU, where /proc's 10 ms ticks make it ±10 % or worse",
  },
  {
    file: 'sweep-bytes-per-message.png',
    title: 'Wire bytes per delivered message over the sweep',
    axis: 'wire bytes per delivered message',
    unit: 'bytes',
    predicted: 'bytesPerMessage',
    measure: (s) => s.bytesPerMessage,
  },
  {
    file: 'sweep-overhead.png',
    title: 'Overhead share of the wire bytes over the sweep',
    axis: 'overhead (wire − payload) / wire',
    unit: '%',
    predicted: 'overheadPct',
    measure: (s) =>
      s.bytesPerMessage > 0 ? (100 * (s.bytesPerMessage - s.payloadPerMessage)) / s.bytesPerMessage : null,
    max: 100,
    allowLog: false,
    // Compressed, the wire holds fewer bytes than the payload: a share far below 0, on no scale with the rest.
    furtherGroups: false,
    furtherGroupsNote: 'compressed, its wire bytes are below the payload (see the bytes chart and the table)',
  },
  {
    file: 'sweep-requests-per-message.png',
    title: 'HTTP requests per delivered message over the sweep',
    axis: 'HTTP requests per delivered message',
    unit: 'requests/message',
    predicted: 'requestsPerMessage',
    measure: (s) => s.requestsPerMessage,
  },
];
