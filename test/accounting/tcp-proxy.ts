/**
 * A byte-counting TCP proxy on 127.0.0.1: the "socket-level counter outside the server" of
 * DESIGN.md §4. Clients connect to the proxy; each connection is relayed to the upstream server
 * and the bytes are counted per connection and in total, in both directions.
 *
 * What it counts is what it *received*: bytes read from the client (client→server) and bytes read
 * from the server (server→client). That is exactly what each end handed to the kernel, even when
 * the other end has gone away, so it compares like-for-like with the server's
 * `socket.bytesRead` / `bytesWritten`.
 *
 * Closing is relayed as a half-close (FIN) in the direction it happened, never as a destroy, so
 * bytes still in flight from the server are read (and counted) before the connection is done.
 * `destroyAll()` is the abrupt fault: both sides of every connection are destroyed at once.
 *
 * Reused by the accounting tests and (later) the scenario runner's fault injection.
 */
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface ByteCounts {
  /** Bytes the client sent toward the server (the server's bytesIn). */
  clientToServer: number;
  /** Bytes the server sent toward the client (the server's bytesOut). */
  serverToClient: number;
}

export interface ProxiedConnection extends ByteCounts {
  readonly id: number;
  /** The proxy's local port on its upstream socket = the server's `socket.remotePort`. */
  upstreamPort: number | null;
  /** Both sockets of this connection are closed. */
  closed: boolean;
  readonly done: Promise<void>;
  /** Raw bytes, when the proxy was made with `capture: true`. */
  readonly captured: { clientToServer: Buffer[]; serverToClient: Buffer[] };
}

export interface TcpProxyOptions {
  /** Upstream host (default 127.0.0.1). */
  host?: string;
  /** Upstream port. */
  port: number;
  /** Keep every relayed buffer (for tests that inspect the exact bytes). */
  capture?: boolean;
}

export class TcpProxy {
  readonly connections: ProxiedConnection[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  private listeningPort = 0;

  constructor(private readonly options: TcpProxyOptions) {
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.relay(client));
  }

  /** Listen on 127.0.0.1, an ephemeral port. */
  async listen(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
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

  /** Bytes over every connection so far, closed or not. */
  get totals(): ByteCounts & { connections: number } {
    let clientToServer = 0;
    let serverToClient = 0;
    for (const c of this.connections) {
      clientToServer += c.clientToServer;
      serverToClient += c.serverToClient;
    }
    return { clientToServer, serverToClient, connections: this.connections.length };
  }

  /** Connections not yet fully closed. */
  get open(): number {
    return this.connections.filter((c) => !c.closed).length;
  }

  /** Resolves once every connection made so far has closed on both sides. */
  async idle(timeoutMs = 10_000): Promise<void> {
    if (this.open === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`tcp proxy: ${this.open} connection(s) still open after ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (this.open > 0) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Cut every connection abruptly (both sides destroyed, nothing flushed). */
  destroyAll(): number {
    const open = this.open;
    for (const socket of this.sockets) socket.destroy();
    return open;
  }

  /** Stop listening and destroy whatever is still open. */
  async close(): Promise<void> {
    this.destroyAll();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = net.connect({
      host: this.options.host ?? '127.0.0.1',
      port: this.options.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    let resolveDone!: () => void;
    const connection: ProxiedConnection = {
      id: this.connections.length + 1,
      clientToServer: 0,
      serverToClient: 0,
      upstreamPort: null,
      closed: false,
      done: new Promise<void>((resolve) => {
        resolveDone = resolve;
      }),
      captured: { clientToServer: [], serverToClient: [] },
    };
    this.connections.push(connection);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const capture = this.options.capture === true;

    upstream.once('connect', () => {
      connection.upstreamPort = upstream.localPort ?? null;
    });

    // Counting happens on receipt; forwarding respects backpressure.
    client.on('data', (chunk: Buffer) => {
      connection.clientToServer += chunk.length;
      if (capture) connection.captured.clientToServer.push(chunk);
      if (!upstream.destroyed && !upstream.writableEnded && !upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      connection.serverToClient += chunk.length;
      if (capture) connection.captured.serverToClient.push(chunk);
      // The client may be gone; keep reading the server anyway, so its bytes are all counted.
      if (!client.destroyed && !client.writableEnded && !client.write(chunk)) {
        upstream.pause();
        const resume = () => upstream.resume();
        client.once('drain', resume);
        client.once('close', resume);
      }
    });

    // A FIN is relayed as a FIN. A side that closes (even with an error) half-closes the other.
    const endOther = (other: Socket) => () => {
      if (!other.destroyed && !other.writableEnded) other.end();
    };
    client.on('end', endOther(upstream));
    upstream.on('end', endOther(client));
    client.on('close', endOther(upstream));
    upstream.on('close', () => {
      // Nothing more can come from the server: the client gets what was relayed, then a FIN.
      if (!client.destroyed && !client.writableEnded) client.end();
    });
    client.on('error', () => {});
    upstream.on('error', () => {});

    let closedSides = 0;
    const sideClosed = (socket: Socket) => () => {
      this.sockets.delete(socket);
      closedSides += 1;
      if (closedSides < 2) return;
      connection.closed = true;
      resolveDone();
      for (const waiter of [...this.waiters]) waiter();
    };
    client.once('close', sideClosed(client));
    upstream.once('close', sideClosed(upstream));
  }
}

/** Start a proxy in front of `port` on 127.0.0.1. */
export async function startProxy(port: number, options: Omit<TcpProxyOptions, 'port'> = {}): Promise<TcpProxy> {
  return new TcpProxy({ ...options, port }).listen();
}
