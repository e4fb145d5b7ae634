/**
 * A pass-through Duplex between a connection (TCP, or TLS plaintext) and Node's HTTP/2 session.
 * Node's http2 reads and writes a native socket directly, out of JavaScript's sight; put this in
 * between and every frame passes through JavaScript once in each direction, so the lab can read
 * frame boundaries (server/h2/frames.ts) and say which stream's HEADERS and DATA made up the
 * bytes. It costs a copy-free hop per chunk; the h1-vs-h2 scenario measures what that costs
 * against a bare `node:http2` server.
 */

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

export class FrameTap extends Duplex {
  constructor(
    readonly inner: Socket,
    private readonly onIn: (chunk: Buffer) => void,
    private readonly onOut: (chunk: Buffer) => void,
    /** The TCP socket under `inner` (the same socket for cleartext h2c). */
    readonly wire: Socket,
  ) {
    super({ allowHalfOpen: false });
    inner.on('data', (chunk: Buffer) => {
      this.onIn(chunk);
      if (!this.push(chunk)) inner.pause();
    });
    inner.once('end', () => this.push(null));
    inner.once('close', () => this.destroy());
    inner.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.onOut(chunk);
    this.inner.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }

  // What Node's http2 and Fastify ask of a socket (addresses for request.ip, TLS for request.protocol).
  get remoteAddress(): string | undefined {
    return this.wire.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.wire.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.wire.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.wire.localAddress;
  }
  get localPort(): number | undefined {
    return this.wire.localPort;
  }
  get encrypted(): boolean | undefined {
    return this.inner === this.wire ? undefined : true;
  }
  /** Undefined on cleartext: Node's http2 server takes `false` for "ALPN said no h2" and drops it. */
  get alpnProtocol(): string | false | undefined {
    return (this.inner as Socket & { alpnProtocol?: string | false }).alpnProtocol;
  }
  setTimeout(ms: number, callback?: () => void): this {
    this.inner.setTimeout(ms, callback);
    return this;
  }
  setNoDelay(noDelay?: boolean): this {
    this.wire.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    this.wire.setKeepAlive(enable, delay);
    return this;
  }
}
