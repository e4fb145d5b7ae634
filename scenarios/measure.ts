/**
 * From what a client group saw (audits, histogram, request counts, proxy bytes) and what the
 * server says it did, the `transports.<name>` entry of summary.json (scenarios/summary.ts).
 *
 * Counters (requests, bytes) are differences between the window's opening and the pause that
 * ends it, and the per-message ratios divide them by the messages received in that same time.
 * Deliveries, loss and latency are the seqs published in the window (feed-window.ts), audited
 * after the drain.
 */
import { floorOverhead } from '../contract/floor.js';
import { latenessPercentile } from '../tools/shaper.js';
import type { GroupResult, GroupSnapshot } from './clients/group.js';
import type { GroupSpec } from './define.js';
import type { Counters } from './server-counters.js';
import type { NetworkReport, TransportSummary } from './summary.js';

/**
 * The shaper was the bottleneck when the lateness its own work caused (tools/shaper.ts ShaperBooks
 * `ownLateness`) has a p99 above this (ms) for a one-way delay. Its timer firing late is the thread's
 * or the machine's delay: reported (`latenessMs`), not blamed on the shaper.
 */
export function shaperLatenessLimitMs(oneWayMs: number): number {
  return Math.max(5, 0.1 * oneWayMs);
}

export function networkReport(spec: GroupSpec, result: GroupResult): NetworkReport {
  const p99 = latenessPercentile(result.shaper, 99);
  const ownP99 = latenessPercentile(result.shaper, 99, true);
  return {
    ...spec.network,
    shaper: {
      segments: result.shaper.segments,
      stalls: result.shaper.stalls,
      idleCuts: result.idleCuts,
      latenessMs: {
        p50: latenessPercentile(result.shaper, 50),
        p99,
        max: result.shaper.latenessMaxMs,
      },
      ownLatenessMs: { p50: latenessPercentile(result.shaper, 50, true), p99: ownP99 },
      threadBusyShare: result.threadBusyShare,
      bottleneck: ownP99 > shaperLatenessLimitMs(spec.network.rttMs / 2),
    },
  };
}

export interface FeedPosition {
  epoch: string;
  head: number;
}

/** a / b, or 0 when there is nothing to divide by (a transport that delivered nothing). */
const per = (a: number, b: number): number => (b > 0 ? a / b : 0);

export interface GroupMeasurement {
  spec: GroupSpec;
  result: GroupResult;
  /** At the window's opening, at the pause (counters stop), after the drain (audit stops). */
  start: GroupSnapshot;
  counted: GroupSnapshot;
  audited: GroupSnapshot;
  /** The server's own counters over the counting span. */
  server: Counters;
  feed: FeedPosition;
  countedMs: number;
}

export function summarizeGroup(m: GroupMeasurement): TransportSummary {
  const { spec, result, start, counted, audited, server, feed } = m;
  const { transport } = spec;
  const { expected, delivered } = result;
  const requests = counted.counts.requests - start.counts.requests;
  const emptyResponses = counted.counts.emptyResponses - start.counts.emptyResponses;
  const bytesIn = counted.proxy.clientToServer - start.proxy.clientToServer;
  const bytesOut = counted.proxy.serverToClient - start.proxy.serverToClient;
  // The cost ratios divide by the messages received while counting (see run-point.ts).
  const messages = result.countedMessages;
  const payloadBytes = result.countedPayloadBytes;
  const payloadPerMessage = per(payloadBytes, messages);
  const answersWithMessages = requests - emptyResponses;
  const floor = floorOverhead(transport, {
    payloadBytes: Math.round(payloadPerMessage),
    epoch: feed.epoch,
    seq: Math.max(1, feed.head),
    messagesPerResponse: answersWithMessages > 0 ? messages / answersWithMessages : 1,
  });
  const summary: TransportSummary = {
    clients: spec.count,
    delivered,
    expected,
    // Ground truth: the runner knows every seq published in the window.
    lost: expected - delivered,
    duplicates: audited.audit.duplicates - start.audit.duplicates,
    reordered: audited.audit.reordered - start.audit.reordered,
    resets: audited.audit.resets - start.audit.resets,
    latencyMs: { ...result.latency, histogram: result.histogram },
    requests,
    emptyResponses,
    bytesIn,
    bytesOut,
    server: {
      bytesIn: server.bytesIn,
      bytesOut: server.bytesOut,
      requests: server.requests,
      emptyResponses: server.emptyResponses,
      messages: server.messages,
    },
    payloadBytes,
    bytesPerMessage: per(bytesIn + bytesOut, messages),
    payloadPerMessage,
    floorOverheadPerMessage: floor.total,
    requestsPerMessage: per(requests, messages),
    timeline: result.timeline,
    countedMs: m.countedMs,
    countedMessages: messages,
    clientLoopDelayMs: result.loopDelayMs,
    lostDetected: audited.audit.lostDetected - start.audit.lostDetected,
    network: networkReport(spec, result),
  };
  if (result.recoveries.length > 0) {
    summary.recoveryMs = result.recoveries.reduce((a, b) => a + b, 0) / result.recoveries.length;
  }
  if (Object.keys(result.errors).length > 0) summary.clientErrors = result.errors;
  if (result.negativeAges > 0) summary.negativeAges = result.negativeAges;
  return summary;
}
