/**
 * What one lane's messages cost on the wire, from the server's per-client counters (bytes at the
 * TCP socket, requests, empty answers): payload + overhead per message beside the protocol floor
 * (contract/floor.ts's measuredOverhead, as the server's `overhead` report uses it), computed here
 * because the dashboard's "reset numbers" subtracts a baseline first.
 */
import { type Floor, measuredOverhead } from '../../contract/floor.js';
import { emptyCounters, isPolling, type TransportCounters, type TransportName } from '../../contract/index.js';

export interface LaneCost {
  messages: number;
  payloadPerMessage: number;
  wirePerMessage: number;
  overheadPerMessage: number;
  floor: Floor;
  requestsPerMessage: number;
  /** Share of answers (polls) that carried nothing. */
  emptyShare: number | null;
}

const COUNTER_KEYS = Object.keys(emptyCounters()) as (keyof TransportCounters)[];

/** `now − baseline`, counter by counter (`connections` is a level, not a total: kept as is). */
export function since(now: TransportCounters, baseline: TransportCounters | null): TransportCounters {
  if (baseline === null) return { ...now };
  const out = emptyCounters();
  for (const key of COUNTER_KEYS) out[key] = key === 'connections' ? now[key] : Math.max(0, now[key] - baseline[key]);
  return out;
}

export function laneCost(
  transport: TransportName,
  counters: TransportCounters,
  at: { epoch?: string; seq?: number } = {},
): LaneCost | null {
  const measured = measuredOverhead(transport, counters, at);
  if (measured === null) return null;
  const polls = isPolling(transport);
  return {
    ...measured,
    messages: counters.messages,
    requestsPerMessage: counters.requests / counters.messages,
    emptyShare: polls && counters.requests > 0 ? counters.emptyResponses / counters.requests : null,
  };
}

/** A readable breakdown of the floor, for a tooltip. */
export function describeFloor(floor: Floor): string {
  const lines = floor.parts.map((p) => `  ${p.name}: ${p.bytes.toFixed(p.bytes % 1 === 0 ? 0 : 1)} B`);
  return `Protocol floor per message (the least this transport must add):\n${lines.join('\n')}\n  total: ${floor.total.toFixed(1)} B`;
}
