/**
 * The scale-out scenario's client groups: the same clients of every transport, all through the
 * balancer's one URL, each with its own keep-alive agent (so "round-robin per request" is what
 * HAProxy does, not what a shared pool happens to do). Each client keeps a delivery audit (lost,
 * duplicates, resets) and an event-age histogram (receivedAt − ts, both this machine's wall clock).
 */
import http from 'node:http';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { DeliveryAudit } from '../../client/audit.js';
import { LatencyHistogram } from '../../client/latency.js';
import { createClient } from '../../client/transports/index.js';
import type { FeedClient, FetchInit, FetchLike, ResponseLike } from '../../client/transports/types.js';
import type { TransportName } from '../../contract/index.js';
import type { GroupSpec } from '../define.js';

/** fetch over node:http with the client's own agent, answering the X-Lab-Instance header too. */
function ownFetch(): FetchLike {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return (url: string, init: FetchInit = {}) =>
    new Promise<ResponseLike>((resolve, reject) => {
      const request = http.request(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          const headers = {
            get: (name: string) => (response.headers[name.toLowerCase()] as string | undefined) ?? null,
          };
          resolve({ status: response.statusCode ?? 0, text: async () => body, headers });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      init.signal?.addEventListener('abort', () => request.destroy(new Error('aborted')), { once: true });
      request.end(init.body);
    });
}

export interface Member {
  transport: TransportName;
  client: FeedClient;
  audit: DeliveryAudit;
  latency: LatencyHistogram;
  /** How many requests or streams each instance served this client. */
  served: Map<string, number>;
  /** The instance that served this client's latest request or stream. */
  lastServed: string | null;
  resetReasons: string[];
}

export interface Groups {
  members: Member[];
  /** Zero every audit and histogram: the measured window starts now. */
  restartWindow(): void;
  stop(): void;
}

/** The scenario's groups (one per transport), each client from `cursor` on, through the balancer at `url`. */
export function startGroups(url: string, groups: readonly GroupSpec[], cursor: { epoch: string; seq: number }): Groups {
  const members: Member[] = [];
  for (const group of groups) {
    const { transport } = group;
    for (let i = 0; i < group.count; i++) {
      const client = createClient(transport, {
        baseUrl: url,
        clientId: `${group.name}-${i}`,
        resume: group.resume,
        cursor,
        pollIntervalMs: group.pollIntervalMs,
        longPollTimeoutMs: group.longPollTimeoutMs,
        reconnect: { baseMs: 100, capMs: 1_000 },
        fetch: ownFetch(),
        WebSocket: WebSocket as never,
        EventSource: EventSource as never,
        io: io as never,
        // Without sticky sessions Engine.IO's polling cannot work (the stickiness probe in run.ts
        // measures that): Socket.IO runs on its WebSocket transport alone, one TCP connection each.
        socketIoTransports: ['websocket'],
      });
      const member: Member = {
        transport,
        client,
        audit: new DeliveryAudit(),
        latency: new LatencyHistogram(),
        served: new Map(),
        lastServed: null,
        resetReasons: [],
      };
      client.on('message', (message, _raw, receivedAt) => {
        member.audit.record(message);
        member.latency.recordAge(receivedAt, message.ts);
      });
      client.on('reset', (notice) => {
        member.audit.reset(notice);
        member.resetReasons.push(notice.reason);
      });
      client.on('served', (instance) => {
        member.served.set(instance, (member.served.get(instance) ?? 0) + 1);
        member.lastServed = instance;
      });
      members.push(member);
      client.start();
    }
  }
  return {
    members,
    restartWindow() {
      for (const member of members) {
        member.latency = new LatencyHistogram();
        member.served.clear();
      }
    },
    stop() {
      for (const member of members) member.client.stop();
    },
  };
}
