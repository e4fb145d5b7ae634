/**
 * A raw HTTP/2 client for bad-input tests: it writes frames no well-behaved library would (a
 * stream flood past SETTINGS_MAX_CONCURRENT_STREAMS, an oversized header block, a reset storm)
 * and records every frame the server sends back, with its error code where it has one.
 */
import { once } from 'node:events';
import net from 'node:net';
import { FRAME_HEADER_BYTES, FRAME_TYPE } from '../../server/h2/frames.js';

export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  /** RST_STREAM and GOAWAY: the error code (RFC 9113 §7). */
  errorCode: number | null;
  length: number;
}

export const ERROR_CODE = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** HPACK (RFC 7541): a literal header without indexing, new name, no Huffman (lengths < 127 or long). */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text);
  if (bytes.length < 127) return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  // 7-bit prefix integer (RFC 7541 §5.1).
  const out = [127];
  let rest = bytes.length - 127;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.concat([Buffer.from(out), bytes]);
}

/** A GET header block: :method GET (static 2), :scheme http (static 6), :path and :authority literal. */
export function getHeaderBlock(path: string, extra: [string, string][] = []): Buffer {
  return Buffer.concat([
    Buffer.from([0x82, 0x86]),
    literal(':path', path),
    literal(':authority', '127.0.0.1'),
    ...extra.map(([n, v]) => literal(n, v)),
  ]);
}

export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

export class RawH2 {
  readonly frames: ReceivedFrame[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<RawH2> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const raw = new RawH2(socket);
    socket.write(Buffer.concat([PREFACE, frame(FRAME_TYPE.SETTINGS, 0, 0)]));
    return raw;
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  of(type: number): ReceivedFrame[] {
    return this.frames.filter((f) => f.type === type);
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= FRAME_HEADER_BYTES) {
      const length = this.buffer.readUIntBE(0, 3);
      if (this.buffer.length < FRAME_HEADER_BYTES + length) return;
      const type = this.buffer[3] ?? 0;
      const payload = this.buffer.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      let errorCode: number | null = null;
      if (type === FRAME_TYPE.RST_STREAM) errorCode = payload.readUInt32BE(0);
      if (type === FRAME_TYPE.GOAWAY) errorCode = payload.readUInt32BE(4);
      // Be a polite peer otherwise: acknowledge the server's SETTINGS.
      if (type === FRAME_TYPE.SETTINGS && ((this.buffer[4] ?? 0) & FLAG.ACK) === 0) {
        this.write(frame(FRAME_TYPE.SETTINGS, FLAG.ACK, 0));
      }
      this.frames.push({
        type,
        flags: this.buffer[4] ?? 0,
        streamId: this.buffer.readUInt32BE(5) & 0x7fffffff,
        errorCode,
        length,
      });
      this.buffer = this.buffer.subarray(FRAME_HEADER_BYTES + length);
    }
  }
}
