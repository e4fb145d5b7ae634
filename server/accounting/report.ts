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

/** `/api/stats` for everyone (client null) or one client; open sockets are settled first, so it is live to the byte. */
export function statsReport(lab: Lab, client: string | null): StatsResponse {
  lab.accounting.settleAll();
  return reportOf(lab, client);
}

/**
 * `/api/stats` for each client named, by client id. Open sockets are settled once first, so every
 * report in one answer is live to the byte and consistent with the others.
 */
export function statsReportsById(lab: Lab, clients: readonly string[]): Record<string, StatsResponse> {
  lab.accounting.settleAll();
  return Object.fromEntries(clients.map((client) => [client, reportOf(lab, client)]));
}

function reportOf(lab: Lab, client: string | null): StatsResponse {
  const counters = lab.accounting.ledger.read(client);
  const transports = {} as Record<TransportName, TransportStats>;
  for (const name of TRANSPORTS) {
    transports[name] = { ...counters[name], overhead: overheadOf(name, counters[name], lab.feed.epoch, lab.feed.head) };
  }
  const { requests, bytesIn, bytesOut } = counters.other;
  return {
    now: Date.now(),
    accounting: lab.accounting.meter.mode,
    client,
    transports,
    other: { requests, bytesIn, bytesOut },
  };
}

/**
 * `/api/stats/h2`: the HTTP/2 frame split (exact, plaintext, 9-byte frame headers included) per
 * transport for everyone or one client, and the TLS tally. Bytes at the TCP socket stay in
 * `/api/stats`; over TLS their split between transports sharing one connection is an estimate
 * (docs/http2.md).
 */
export function h2Report(lab: Lab, client: string | null) {
  const { accounting } = lab;
  accounting.settleAll();
  return {
    now: Date.now(),
    client,
    h2Connections: accounting.sessions.openConnections,
    protocols: client === null ? null : accounting.protocols.of(client),
    transports: accounting.h2frames.read(client),
    tls: accounting.tls.report(),
    notes: {
      frames:
        'exact: HEADERS (+CONTINUATION, PUSH_PROMISE) = HPACK header blocks; DATA = bodies; control = RST_STREAM, WINDOW_UPDATE, PRIORITY; each with its 9-byte frame header. Preface and stream-0 frames are in other.',
      tcpShare:
        'h2c: bytes at the TCP socket per transport are exact. h2 over TLS: the handshake is in other; after it, ciphertext is shared between the streams of a connection in proportion to their plaintext frames — an ESTIMATE of each share (the sum is exact).',
    },
  };
}
