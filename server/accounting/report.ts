/** Turns the ledger's counters into the `/api/stats` shape, with overhead beside the protocol floor. */

import { measuredOverhead } from '../../contract/floor.js';
import {
  type OverheadReport,
  type StatsResponse,
  TRANSPORTS,
  type TransportCounters,
  type TransportName,
  type TransportStats,
} from '../../contract/index.js';
import type { Lab } from '../lab.js';

export function overheadOf(
  transport: TransportName,
  counters: TransportCounters,
  epoch: string,
  head: number,
): OverheadReport | null {
  const measured = measuredOverhead(transport, counters, { epoch, seq: head });
  if (measured === null) return null;
  const { floor, ...perMessage } = measured;
  return { ...perMessage, floorOverheadPerMessage: floor.total };
}

/**
 * `/api/stats` for everyone (client null) and for each client named. Open sockets are settled
 * once first, so every report in one answer is live to the byte and consistent with the others.
 */
export function statsReports(lab: Lab, clients: readonly (string | null)[]): StatsResponse[] {
  lab.accounting.meter.settleAll();
  return clients.map((client) => reportOf(lab, client));
}

function reportOf(lab: Lab, client: string | null): StatsResponse {
  const counters = lab.accounting.ledger.read(client);
  const transports = {} as Record<TransportName, TransportStats>;
  for (const name of TRANSPORTS) {
    transports[name] = { ...counters[name], overhead: overheadOf(name, counters[name], lab.feed.epoch, lab.feed.head) };
  }
  const { requests, bytesIn, bytesOut } = counters.other;
  return { now: Date.now(), client, transports, other: { requests, bytesIn, bytesOut } };
}
