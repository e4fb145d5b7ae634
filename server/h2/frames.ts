/**
 * A streaming reader of HTTP/2 frame boundaries (RFC 9113 §4.1): every frame is a 9-byte header
 * (24-bit length, 8-bit type, 8-bit flags, 31-bit stream id) and `length` bytes of payload. The
 * reader never copies payloads; it reports how many bytes of which frame a chunk carried, so the
 * lab can say, per stream, how many bytes were HEADERS and how many DATA.
 */

/** RFC 9113 §4.1: every frame starts with this many bytes. */
export const FRAME_HEADER_BYTES = 9;

/** RFC 9113 §3.4: the client connection preface, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. */
export const CLIENT_PREFACE_BYTES = 24;

/** RFC 9113 §6: frame type codes. */
export const FRAME_TYPE = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** The lab's three shares of h2 bytes: header blocks, message bodies, and everything else. */
export type FrameKind = 'headers' | 'data' | 'control';

export function frameKind(type: number): FrameKind {
  if (type === FRAME_TYPE.DATA) return 'data';
  if (type === FRAME_TYPE.HEADERS || type === FRAME_TYPE.CONTINUATION || type === FRAME_TYPE.PUSH_PROMISE)
    return 'headers';
  return 'control';
}

export interface FrameBytes {
  /** 0 for the connection (preface, SETTINGS, PING, GOAWAY, connection WINDOW_UPDATE). */
  streamId: number;
  type: number;
  /** Bytes of this frame in this piece (its 9-byte header is reported with the frame's start). */
  bytes: number;
  /** True once per frame: the piece that completed its header. */
  starts: boolean;
  /** True for the connection preface (no frame header of its own). */
  preface: boolean;
}

export class FrameReader {
  private prefaceLeft: number;
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private payloadLeft = 0;
  private streamId = 0;
  private type = 0;

  /** `expectPreface`: the client→server direction begins with the 24-byte preface. */
  constructor(
    expectPreface: boolean,
    private readonly onBytes: (piece: FrameBytes) => void,
  ) {
    this.prefaceLeft = expectPreface ? CLIENT_PREFACE_BYTES : 0;
  }

  /** Bytes held back: part of a frame header not yet complete (reported once it is). */
  get pendingHeaderBytes(): number {
    return this.headerFill;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      const left = chunk.length - offset;
      if (this.prefaceLeft > 0) {
        const n = Math.min(this.prefaceLeft, left);
        this.prefaceLeft -= n;
        offset += n;
        this.onBytes({ streamId: 0, type: -1, bytes: n, starts: false, preface: true });
      } else if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, left);
        this.payloadLeft -= n;
        offset += n;
        this.onBytes({ streamId: this.streamId, type: this.type, bytes: n, starts: false, preface: false });
      } else {
        const n = Math.min(FRAME_HEADER_BYTES - this.headerFill, left);
        this.header.set(chunk.subarray(offset, offset + n), this.headerFill);
        this.headerFill += n;
        offset += n;
        if (this.headerFill < FRAME_HEADER_BYTES) continue;
        this.headerFill = 0;
        this.payloadLeft = this.header.readUIntBE(0, 3);
        this.type = this.header[3] ?? 0;
        this.streamId = this.header.readUInt32BE(5) & 0x7fffffff;
        this.onBytes({
          streamId: this.streamId,
          type: this.type,
          bytes: FRAME_HEADER_BYTES,
          starts: true,
          preface: false,
        });
      }
    }
  }
}
