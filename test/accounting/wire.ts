/**
 * Helpers the accounting tests share: plain HTTP through a given agent (so the test decides which
 * socket a request rides on), the server's own view of which sockets have closed, and stats reads.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type {
  FeedMessage,
  PollResponse,
  StatsResponse,
  StatsStreamEvent,
  TransportCounters,
} from '../../contract/index.js';
import type { TcpProxy } from '../../scenarios/tcp-proxy.js';
import { until } from '../harness.js';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** GET `url` with node:http through `agent`, reading the whole body. */
export function httpGet(url: string, agent: http.Agent, headers: http.OutgoingHttpHeaders = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

export async function pollJson(url: string, agent: http.Agent): Promise<PollResponse> {
  const answer = await httpGet(url, agent);
  if (answer.status !== 200) throw new Error(`GET ${url} answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as PollResponse;
}

/** The message JSON exactly as the server serialized it (same key order, same number formatting). */
export const messageBytes = (message: FeedMessage): number => Buffer.byteLength(JSON.stringify(message));

export const sumBytes = (messages: readonly FeedMessage[]): number =>
  messages.reduce((sum, m) => sum + messageBytes(m), 0);

/** `GET /api/stats[?client=]`, straight to the server (never through a proxy). */
export async function stats(url: string, client?: string): Promise<StatsResponse> {
  const res = await fetch(`${url}/api/stats${client === undefined ? '' : `?client=${client}`}`);
  if (res.status !== 200) throw new Error(`stats answered ${res.status}`);
  return (await res.json()) as StatsResponse;
}

export type Counts = Omit<TransportCounters, 'connections' | 'resets'>;

export function countsOf(counters: TransportCounters): Counts {
  const { requests, emptyResponses, messages, payloadBytes, bytesIn, bytesOut } = counters;
  return { requests, emptyResponses, messages, payloadBytes, bytesIn, bytesOut };
}

/**
 * The server's own view of its sockets: which remote ports it has seen close. Attach before any
 * client connects. The lab's meter registered its 'close' listener first (at build time), so by
 * the time this one runs the socket's last bytes are settled in the ledger.
 */
export class ServerSockets {
  private readonly closedPorts = new Set<number>();
  private readonly openPorts = new Map<number, Socket>();

  constructor(app: FastifyInstance) {
    app.server.on('connection', (socket: Socket) => {
      const port = socket.remotePort;
      if (port === undefined) return;
      this.openPorts.set(port, socket);
      socket.once('close', () => {
        this.openPorts.delete(port);
        this.closedPorts.add(port);
      });
    });
  }

  /** The server's socket for a remote port (to peek at what it has queued), while it is open. */
  socket(port: number | null): Socket | undefined {
    return port === null ? undefined : this.openPorts.get(port);
  }

  hasClosed(port: number): boolean {
    return this.closedPorts.has(port);
  }

  /** Wait until the server has seen every connection the proxy made close, on its side too. */
  async allClosed(proxy: TcpProxy, timeoutMs = 10_000): Promise<void> {
    await proxy.idle(timeoutMs);
    await until(
      () => proxy.connections.every((c) => c.upstreamPort !== null && this.closedPorts.has(c.upstreamPort)),
      timeoutMs,
      'the server to see every proxied socket close',
    );
  }
}

/** The first push of `GET /api/stats/stream?clients=…` (no `client=` of its own: it reads, it does not count). */
export async function statsStreamFirst(url: string, clients: string[]): Promise<StatsStreamEvent> {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/stats/stream?clients=${clients.join(',')}`, { signal: controller.signal });
  if (!res.body) throw new Error('stats stream has no body');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (!text.includes('\n\n')) {
      const { done, value } = await reader.read();
      if (done) throw new Error('stats stream ended before its first push');
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    controller.abort();
  }
  const line = text.slice(0, text.indexOf('\n\n'));
  return JSON.parse(line.replace(/^data: /, '')) as StatsStreamEvent;
}
