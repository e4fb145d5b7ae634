/**
 * A WebSocket peer on a raw TCP socket, for tests that must send what no well-behaved client
 * library would: bad frames, odd fragments, broken close payloads. It writes the upgrade request
 * it is given, then frames byte for byte, and parses what the server sends back (frames, or an
 * HTTP refusal).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';

export interface FrameSpec {
  fin?: boolean;
  opcode: number;
  payload?: Buffer | string;
  /** Clients must mask (RFC 6455 §5.3); false to test an unmasked frame. */
  mask?: boolean;
  rsv?: number;
  /** Force a payload-length encoding (126 or 127) even for a short payload. */
  lengthForm?: 'auto' | 16 | 64;
}

export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const mask = spec.mask ?? true;
  const first = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f);
  const length = payload.length;
  const form = spec.lengthForm ?? 'auto';
  let header: Buffer;
  if (form === 64 || (form === 'auto' && length > 0xffff)) {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  } else if (form === 16 || length > 125) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(2);
    header[1] = length;
  }
  header[0] = first;
  if (!mask) return Buffer.concat([header, payload]);
  header[1] = (header[1] as number) | 0x80;
  const key = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([header, key, masked]);
}

export interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason)]);
}

export class RawWs {
  readonly frames: ServerFrame[] = [];
  /** The HTTP answer to the upgrade: status line and headers (lowercase names). */
  status = 0;
  headers: Record<string, string> = {};
  /** The close code the server sent (null: none yet; 1005: a close frame without a code). */
  closeCode: number | null = null;
  closeReason = '';
  ended = false;
  private buffer = Buffer.alloc(0);
  private upgraded = false;
  private readonly handshake: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('error', () => {});
    let answered: () => void = () => {};
    this.handshake = new Promise((resolve) => {
      answered = resolve;
    });
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      if (!this.upgraded) {
        const end = this.buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
        this.status = Number(head[0]?.split(' ')[1]);
        for (const line of head.slice(1)) {
          const colon = line.indexOf(':');
          this.headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        this.buffer = this.buffer.subarray(end + 4);
        this.upgraded = true;
        answered();
      }
      if (this.status === 101) this.parse();
    });
    socket.on('close', () => {
      this.ended = true;
      answered();
    });
  }

  /** Connect and send an upgrade to `path` with `headers` (defaults: a valid handshake). */
  static async open(port: number, path = '/api/ws', headers: Record<string, string | null> = {}): Promise<RawWs> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const ws = new RawWs(socket);
    const all: Record<string, string | null> = {
      Host: `127.0.0.1:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      ...headers,
    };
    const lines = Object.entries(all)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k}: ${v}`);
    socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
    await ws.handshake;
    return ws;
  }

  send(...frames: (FrameSpec | Buffer)[]): void {
    if (this.socket.destroyed) return;
    this.socket.write(Buffer.concat(frames.map((f) => (Buffer.isBuffer(f) ? f : encodeFrame(f)))));
  }

  /** Resolves once the server sent a close frame or the connection ended. */
  async closed(timeoutMs = 10_000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null && !this.ended) {
      if (Date.now() > deadline) throw new Error('raw ws: no close within the time allowed');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.closeCode;
  }

  texts(): string[] {
    return this.frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString());
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      if (this.buffer.length < 2) return;
      const b0 = this.buffer[0] as number;
      const b1 = this.buffer[1] as number;
      let length = b1 & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const frame = {
        fin: (b0 & 0x80) !== 0,
        opcode: b0 & 0x0f,
        payload: this.buffer.subarray(offset, offset + length),
      };
      this.buffer = this.buffer.subarray(offset + length);
      this.frames.push(frame);
      if (frame.opcode === 8 && this.closeCode === null) {
        this.closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        this.closeReason = frame.payload.subarray(2).toString();
      }
    }
  }
}
