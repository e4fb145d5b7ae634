/**
 * Network profiles for the dashboard's lanes: `GET /api/networks` lists them (contract/networks.ts)
 * and `POST /api/networks/<name>/listener[?param=…]` starts — once per distinct profile — a shaping
 * proxy on 127.0.0.1 in front of this server (tools/tcp-proxy.ts with a network), answering
 * its port. A lane then points its real client at that port: every byte it sends and receives
 * crosses the profile, and the server still counts them at its own socket, exactly as before.
 *
 * The page stays on the server's own origin, the lane's client talks to the listener's: the
 * lab's own origin is therefore allowed as an Origin (it is the server's own page), and answers
 * to requests that came through a listener carry `Access-Control-Allow-Origin` for it, so the
 * page may read polls and SSE from a port other than its own.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import {
  NETWORK_LIMITS,
  NETWORK_PROFILES,
  NetworkError,
  type NetworksResponse,
  type ResolvedNetwork,
  resolveNetwork,
  retransmitTimeoutMs,
} from '../contract/networks.js';
import { latenessPercentile } from '../tools/shaper.js';
import { startProxy, type TcpProxy } from '../tools/tcp-proxy.js';
import { BadNetworkError, TooManyListenersError } from './errors.js';
import type { Lab, LabPluginOptions } from './lab.js';
import type { RequestStep } from './request-steps.js';

/** Distinct listeners one server starts at most (each is one more port on 127.0.0.1). */
export const MAX_LISTENERS = 32;

export interface NetworkListener {
  network: ResolvedNetwork;
  port: number;
  /** Connections so far / open now, idle cuts, the shaper's stalls and its timers' lateness p99 (ms). */
  connections: number;
  open: number;
  idleCuts: number;
  stalls: number;
  latenessP99Ms: number;
}

/**
 * The ports of this app's network listeners. Requests that came through one of them (Host names its
 * port) get CORS for an allowed Origin: `step` is that, a step of the one per-request hook
 * (server/request-steps.ts). setHeader there is merged into every answer's head, hijacked SSE
 * streams included. With no listener, or no Origin, it looks at nothing else.
 */
export class ListenerPorts {
  readonly ports = new Set<number>();

  constructor(private readonly lab: Lab) {}

  readonly step: RequestStep = (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined || this.ports.size === 0) return undefined;
    const hostPort = Number((request.headers.host ?? '').split(':').pop());
    if (this.ports.has(hostPort) && this.lab.options.allowedOrigins.includes(origin))
      reply.raw.setHeader('access-control-allow-origin', origin);
    return undefined;
  };
}

export async function networkRoutes(app: FastifyInstance, lab: Lab, listenerPorts: Set<number>): Promise<void> {
  const listeners = new Map<string, { network: ResolvedNetwork; proxy: Promise<TcpProxy> }>();

  const ownPort = () => (app.server.address() as AddressInfo | null)?.port;

  // The lab's own page may speak to its listeners: its origin is allowed, whatever Host says.
  app.addHook('onListen', async () => {
    const port = ownPort();
    if (port === undefined) return;
    for (const host of ['127.0.0.1', 'localhost'])
      if (!lab.options.allowedOrigins.includes(`http://${host}:${port}`))
        lab.options.allowedOrigins.push(`http://${host}:${port}`);
  });

  app.addHook('onClose', async () => {
    const proxies = await Promise.allSettled([...listeners.values()].map((l) => l.proxy));
    for (const p of proxies) if (p.status === 'fulfilled') await p.value.close();
  });

  app.get('/api/networks', async (): Promise<NetworksResponse> => {
    return {
      profiles: NETWORK_PROFILES.map((p) => ({ ...p, retransmitTimeoutMs: retransmitTimeoutMs(p) })),
      limits: NETWORK_LIMITS,
    };
  });

  app.get('/api/networks/listeners', async (): Promise<{ listeners: NetworkListener[] }> => {
    const out: NetworkListener[] = [];
    for (const l of listeners.values()) out.push(describe(l.network, await l.proxy));
    return { listeners: out };
  });

  app.post<{ Params: { name: string }; Querystring: Record<string, string> }>(
    '/api/networks/:name/listener',
    async (request) => {
      let network: ResolvedNetwork;
      try {
        network = resolveNetwork(request.params.name, request.query ?? {});
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        throw new BadNetworkError(error.message);
      }
      const key = JSON.stringify(network);
      let entry = listeners.get(key);
      if (!entry) {
        if (listeners.size >= MAX_LISTENERS) throw new TooManyListenersError(MAX_LISTENERS);
        const upstreamPort = ownPort();
        if (upstreamPort === undefined) throw new Error('the server is not listening');
        const proxy = startProxy({ upstreamPort, network, seed: 1 });
        entry = { network, proxy };
        listeners.set(key, entry);
        proxy.then((p) => listenerPorts.add(p.port)).catch(() => listeners.delete(key));
      }
      const proxy = await entry.proxy;
      listenerPorts.add(proxy.port);
      return describe(network, proxy);
    },
  );
}

export interface NetworkPluginOptions extends LabPluginOptions {
  /** The listener ports whose CORS step the app's per-request hook runs (server/app.ts). */
  listenerPorts: ListenerPorts;
}

/** Not encapsulated: its onListen hook sees the app's own port. */
export const networkPlugin = fp<NetworkPluginOptions>(
  async (app, { lab, listenerPorts }) => networkRoutes(app, lab, listenerPorts.ports),
  { name: 'lab-networks', fastify: '5.x' },
);

function describe(network: ResolvedNetwork, proxy: TcpProxy): NetworkListener {
  return {
    network,
    port: proxy.port,
    connections: proxy.totals.connections,
    open: proxy.open,
    idleCuts: proxy.idleCutCount,
    stalls: proxy.shaper.stalls,
    latenessP99Ms: latenessPercentile(proxy.shaper, 99),
  };
}
