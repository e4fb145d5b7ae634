/**
 * The runner's byte counter at the socket: a TCP proxy on 127.0.0.1, one per client group, so
 * the bytes each transport's clients put on the wire are counted outside the server
 * (DESIGN.md §4) and can be set beside the server's own accounting.
 *
 * Same counting rule as test/accounting/tcp-proxy.ts (bytes received from each side, FIN relayed
 * as FIN), but lean enough for thousands of connections (running totals, no per-connection
 * log), and with a switchable upstream: after a server restart the proxy points at the new
 * port, as a load balancer would.
 */
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface ProxyTotals {
  /** Bytes the clients sent toward the server (the server's bytesIn). */
  clientToServer: number;
  /** Bytes the server sent toward the clients (the server's bytesOut). */
  serverToClient: number;
  /** Connections accepted so far. */
  connections: number;
}

export class TcpProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private upstreamPort: number;
  private listeningPort = 0;
  private counted: ProxyTotals = { clientToServer: 0, serverToClient: 0, connections: 0 };

  constructor(upstreamPort: number) {
    this.upstreamPort = upstreamPort;
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.relay(client));
  }

  async listen(): Promise<this> {
    this.server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
    await once(this.server, 'listening');
    this.listeningPort = (this.server.address() as AddressInfo).port;
    return this;
  }

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  get totals(): ProxyTotals {
    return { ...this.counted };
  }

  /** Connections open now. */
  get open(): number {
    return this.pairs.size;
  }

  /** New connections go to this port from now on (open ones stay where they are). */
  setUpstream(port: number): void {
    this.upstreamPort = port;
  }

  /** Cut every connection abruptly, both sides at once, nothing flushed. Returns how many. */
  destroyAll(): number {
    const n = this.pairs.size;
    for (const [client, upstream] of [...this.pairs]) {
      client.destroy();
      upstream.destroy();
    }
    return n;
  }

  async close(): Promise<void> {
    this.destroyAll();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.upstreamPort, allowHalfOpen: true, noDelay: true });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    this.counted.connections += 1;
    const counted = this.counted;

    // Counted on receipt; forwarded with backpressure.
    client.on('data', (chunk: Buffer) => {
      counted.clientToServer += chunk.length;
      if (upstream.writable && !upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      counted.serverToClient += chunk.length;
      if (client.writable && !client.write(chunk)) {
        upstream.pause();
        const resume = () => upstream.resume();
        client.once('drain', resume);
        client.once('close', resume);
      }
    });

    // A FIN is relayed as a FIN; a side that goes away ends the other.
    const end = (other: Socket) => () => {
      if (!other.destroyed && !other.writableEnded) other.end();
    };
    client.on('end', end(upstream));
    upstream.on('end', end(client));
    client.on('close', end(upstream));
    upstream.on('close', end(client));
    // Upstream refused (server down or restarting): the client sees its connection drop.
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());

    let closed = 0;
    const onClose = () => {
      closed += 1;
      if (closed === 2) this.pairs.delete(pair);
    };
    client.once('close', onClose);
    upstream.once('close', onClose);
  }
}

export async function startProxy(upstreamPort: number): Promise<TcpProxy> {
  return new TcpProxy(upstreamPort).listen();
}
