/**
 * A byte-counting TCP proxy on 127.0.0.1: the "socket-level counter outside the server" of
 * docs/accounting.md. The scenario runner puts one in front of each client group (group-worker.ts),
 * the accounting tests one in front of each client under test (test/accounting/). Either way
 * its count is set beside the server's own accounting, so it must count the same thing.
 *
 * What it counts is what it *received*: bytes read from the client (client→server) and bytes read
 * from the server (server→client). That is exactly what each end handed to its kernel, even when
 * the other end has gone away, so it compares like for like with the server's
 * `socket.bytesRead` / `bytesWritten`.
 *
 * Closing is therefore relayed as a half-close (FIN) in the direction it happened, never as a
 * destroy, so bytes still in flight from the server are read (and counted) before the connection
 * is done. The two exceptions are deliberate cuts: an upstream that refuses the connection (server
 * down or restarting) drops the client, as a dead server would; `destroyAll()` is the abrupt fault,
 * both sides of every connection destroyed at once.
 *
 * Totals are running sums and the open count a counter, so the proxy stays cheap with thousands of
 * connections; each connection also keeps a small record (its counts, its upstream port and, with
 * `capture`, the raw bytes) for tests that look at one connection. The upstream port can be
 * switched (`setUpstream`): after a server restart the proxy points at the new port, as a load
 * balancer would.
 *
 * With a `network` (contract/networks.ts) the proxy is also the lab's network: between what it
 * counts and what it forwards, each direction goes through a ShapedDirection (shaper.ts: delay,
 * jitter, bandwidth cap, loss as head-of-line stalls), the server's answers through a
 * ResponseBuffer when the profile buffers (response-buffer.ts), and an idle timer cuts a quiet
 * connection silently when the profile has one. Counting stays where it was — on receipt, before
 * any shaping — so the counts compare with the server's exactly as without a network.
 */
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { NetworkParams } from '../contract/networks.js';
import { ResponseBuffer } from './response-buffer.js';
import {
  directionsOf,
  emptyBooks,
  ShapedDirection as Shaped,
  type ShapedDirection,
  type ShaperBooks,
  seededRandom,
} from './shaper.js';

export interface ByteCounts {
  /** Bytes the client sent toward the server (the server's bytesIn). */
  clientToServer: number;
  /** Bytes the server sent toward the client (the server's bytesOut). */
  serverToClient: number;
}

export interface ProxyTotals extends ByteCounts {
  /** Connections accepted so far. */
  connections: number;
}

export interface ProxiedConnection extends ByteCounts {
  /** The proxy's local port on its upstream socket = the server's `socket.remotePort` (null until connected). */
  upstreamPort: number | null;
  /** Both sockets of this connection are closed. */
  closed: boolean;
  /** Raw bytes, when the proxy was started with `capture: true` (empty otherwise). */
  readonly captured: { clientToServer: Buffer[]; serverToClient: Buffer[] };
  /** The network's idle timeout cut this connection (silently: neither end was told). */
  idleCut: boolean;
}

/** What cutInsideNextChunk() cut: the chunk, and how much of it the client got before the reset. */
export interface ChunkCut {
  chunk: Buffer;
  relayed: number;
}

export interface ProxyOptions {
  /** Upstream port; `setUpstream` changes it for new connections. */
  upstreamPort: number;
  /** Upstream host (default 127.0.0.1). */
  host?: string;
  /** Keep every relayed buffer (for tests that inspect the exact bytes). */
  capture?: boolean;
  /** Shape every connection as this network (contract/networks.ts); none = relay at once. */
  network?: NetworkParams;
  /** Seed of the shaper's random draws (jitter, loss); connection i uses seed + i. Default 1. */
  seed?: number;
}

export class TcpProxy {
  /** Every connection accepted so far, in order, closed or not. */
  readonly connections: ProxiedConnection[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  /** How to reset each open connection (resetAll, reset), removed when the connection closes. */
  private readonly resets = new Map<ProxiedConnection, () => void>();
  private armedCut: { offsetIn: (chunk: Buffer) => number | null; resolve: (cut: ChunkCut) => void } | null = null;
  private readonly counted: ProxyTotals = { clientToServer: 0, serverToClient: 0, connections: 0 };
  private openConnections = 0;
  /** The shaper's books over every connection (segments, stalls, lateness of its timers). */
  readonly shaper: ShaperBooks = emptyBooks();
  private idleCuts = 0;
  private upstreamPort: number;
  private listeningPort = 0;

  constructor(private readonly options: ProxyOptions) {
    this.upstreamPort = options.upstreamPort;
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.relay(client));
  }

  /** Listen on 127.0.0.1, an ephemeral port. */
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

  /** Bytes over every connection so far, closed or not (a copy). */
  get totals(): ProxyTotals {
    return { ...this.counted };
  }

  /** Connections cut silently by the network's idle timeout so far. */
  get idleCutCount(): number {
    return this.idleCuts;
  }

  /** Connections not yet closed on both sides. */
  get open(): number {
    return this.openConnections;
  }

  /** New connections go to this port from now on (open ones stay where they are). */
  setUpstream(port: number): void {
    this.upstreamPort = port;
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

  /** Cut every connection abruptly, both sides at once, nothing flushed. Returns how many. */
  destroyAll(): number {
    const open = this.open;
    for (const socket of [...this.sockets]) socket.destroy();
    return open;
  }

  /**
   * Reset every open connection (RST to the client, the server side destroyed): the abrupt fault of
   * a middlebox that drops its state, as opposed to destroyAll()'s plain destroy. Returns how many.
   */
  resetAll(): number {
    const open = this.open;
    for (const reset of [...this.resets.values()]) reset();
    return open;
  }

  /** Reset one connection (as resetAll does); false if it is already closed. */
  reset(connection: ProxiedConnection): boolean {
    const reset = this.resets.get(connection);
    reset?.();
    return reset !== undefined;
  }

  /**
   * Arm a cut inside the server's next answer: the next server→client chunk (on any connection,
   * and for which `offsetIn` returns a number) is relayed only up to that offset, strictly inside
   * the chunk, and its connection is reset on both sides at once. So the client holds half a
   * frame, half an SSE event or half an HTTP answer when the connection dies. Resolves with what
   * was cut; a second call replaces an armed cut that has not fired (its promise never settles).
   */
  cutInsideNextChunk(offsetIn: (chunk: Buffer) => number | null): Promise<ChunkCut> {
    return new Promise((resolve) => {
      this.armedCut = { offsetIn, resolve };
    });
  }

  /** Forget an armed cut that has not fired. */
  disarmCut(): void {
    this.armedCut = null;
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
      port: this.upstreamPort,
      allowHalfOpen: true,
      noDelay: true,
    });
    const connection: ProxiedConnection = {
      clientToServer: 0,
      serverToClient: 0,
      upstreamPort: null,
      closed: false,
      captured: { clientToServer: [], serverToClient: [] },
      idleCut: false,
    };
    const index = this.connections.length;
    this.connections.push(connection);
    this.counted.connections += 1;
    this.openConnections += 1;
    this.sockets.add(client);
    this.sockets.add(upstream);
    const counted = this.counted;
    const capture = this.options.capture === true;
    const network = this.options.network;

    upstream.once('connect', () => {
      connection.upstreamPort = upstream.localPort ?? null;
    });

    const endOf = (other: Socket) => () => {
      if (!other.destroyed && !other.writableEnded) other.end();
    };
    // Where each direction's bytes go: straight to the other socket, or through the network.
    let toServer = (chunk: Buffer) => {
      if (!upstream.destroyed && !upstream.writableEnded && !upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    };
    // The client may be gone; keep reading the server anyway, so its bytes are all counted.
    let toClient = (chunk: Buffer) => {
      if (!client.destroyed && !client.writableEnded && !client.write(chunk)) {
        upstream.pause();
        const resume = () => upstream.resume();
        client.once('drain', resume);
        client.once('close', resume);
      }
    };
    let endToServer = endOf(upstream);
    let endToClient = endOf(client);
    let touch = () => {};
    let cut = false;
    let stopShaping = () => {};

    if (network) {
      const random = seededRandom((this.options.seed ?? 1) + index);
      const { up, down } = directionsOf(network);
      const write = (socket: Socket) => (chunk: Buffer) => {
        if (!cut && !socket.destroyed && !socket.writableEnded) socket.write(chunk);
      };
      const pressure = (source: Socket) => (paused: boolean) => (paused ? source.pause() : source.resume());
      const upward: ShapedDirection = new Shaped(
        up,
        random,
        write(upstream),
        endToServer,
        this.shaper,
        pressure(client),
      );
      const downward: ShapedDirection = new Shaped(
        down,
        random,
        write(client),
        endToClient,
        this.shaper,
        pressure(upstream),
      );
      stopShaping = () => {
        upward.stop();
        downward.stop();
      };
      toServer = (chunk) => upward.push(chunk);
      endToServer = () => upward.end();
      if (network.bufferKiB > 0) {
        const buffer = new ResponseBuffer(network.bufferKiB * 1024, (chunk) => downward.push(chunk));
        toClient = (chunk) => buffer.push(chunk);
        endToClient = () => {
          buffer.end();
          downward.end();
        };
      } else {
        toClient = (chunk) => downward.push(chunk);
        endToClient = () => downward.end();
      }
      if (network.idleTimeoutS > 0) {
        // A middlebox forgets a connection that has been quiet for idleTimeoutS: from then on it
        // relays nothing either way and tells neither end. The client learns only when it sends
        // something (the middlebox answers a packet of a flow it does not know with a reset).
        const idleMs = network.idleTimeoutS * 1000;
        let last = performance.now();
        let timer: ReturnType<typeof setTimeout> | null = null;
        const check = () => {
          timer = null;
          if (cut || connection.closed) return;
          const quiet = performance.now() - last;
          if (quiet < idleMs) {
            timer = setTimeout(check, idleMs - quiet);
            return;
          }
          cut = true;
          connection.idleCut = true;
          this.idleCuts += 1;
          upward.stop();
          downward.stop();
        };
        timer = setTimeout(check, idleMs);
        touch = () => {
          last = performance.now();
        };
        const clearIdle = () => {
          if (timer) clearTimeout(timer);
          timer = null;
        };
        client.once('close', clearIdle);
        upstream.once('close', clearIdle);
      }
    }

    // Counted on receipt; forwarded (shaped, when there is a network) with backpressure.
    client.on('data', (chunk: Buffer) => {
      connection.clientToServer += chunk.length;
      counted.clientToServer += chunk.length;
      if (capture) connection.captured.clientToServer.push(chunk);
      if (cut) {
        // A packet of a forgotten flow: the middlebox answers it with a reset.
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      touch();
      toServer(chunk);
    });
    const reset = () => {
      if (!client.destroyed) client.resetAndDestroy();
      upstream.destroy();
    };
    this.resets.set(connection, reset);
    upstream.on('data', (chunk: Buffer) => {
      connection.serverToClient += chunk.length;
      counted.serverToClient += chunk.length;
      if (capture) connection.captured.serverToClient.push(chunk);
      if (cut) return; // dropped on the floor: the middlebox no longer knows this flow
      touch();
      const armed = this.armedCut;
      const offset = armed && chunk.length > 1 ? armed.offsetIn(chunk) : null;
      if (armed && offset !== null && offset > 0 && offset < chunk.length) {
        this.armedCut = null;
        // Written straight to the socket (not shaped), and the reset a moment later: the part
        // must have reached the client, which then holds an unfinished frame, event or answer.
        client.write(chunk.subarray(0, offset), () => setTimeout(reset, 5));
        cut = true; // nothing more is relayed on this connection
        armed.resolve({ chunk, relayed: offset });
        return;
      }
      toClient(chunk);
    });

    // A FIN is relayed as a FIN (after the bytes before it, when shaped). A side that closes (even
    // with an error) half-closes the other: the client still gets what was relayed, and the
    // server's bytes in flight are still read. After a silent cut nothing is relayed, not even that.
    const firstTime = (fn: () => void) => {
      let done = false;
      return () => {
        if (done || cut) return;
        done = true;
        fn();
      };
    };
    const upstreamGone = firstTime(() => endToClient());
    const clientGone = firstTime(() => endToServer());
    client.on('end', clientGone);
    upstream.on('end', upstreamGone);
    client.on('close', () => {
      clientGone();
      // The client of a silently cut connection gave up: nothing can reach the server any more.
      if (cut) upstream.destroy();
    });
    upstream.on('close', () => {
      upstreamGone();
      // A silently cut connection whose server side is gone has nothing left to relay.
      if (cut && client.readableEnded) client.destroy();
    });
    client.on('error', () => {});
    // Upstream refused (server down or restarting): nothing was relayed, the client sees its
    // connection drop. Any later upstream error is a close like any other (above).
    upstream.on('error', () => {
      if (connection.upstreamPort === null) client.destroy();
    });

    let closedSides = 0;
    const sideClosed = (socket: Socket) => () => {
      this.sockets.delete(socket);
      this.resets.delete(connection);
      closedSides += 1;
      if (closedSides < 2) return;
      connection.closed = true;
      stopShaping();
      this.openConnections -= 1;
      for (const waiter of [...this.waiters]) waiter();
    };
    client.once('close', sideClosed(client));
    upstream.once('close', sideClosed(upstream));
  }
}

/** Start a proxy on 127.0.0.1 (an ephemeral port) in front of `upstreamPort`. */
export async function startProxy(options: ProxyOptions): Promise<TcpProxy> {
  return new TcpProxy(options).listen();
}
