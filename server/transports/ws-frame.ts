/**
 * A feed message's WebSocket frame, built once per message and codec and written as is to every
 * socket of that codec that negotiated no extension (RFC 6455 §5.2: FIN, opcode 1 for
 * `lab.v1.json` text or 2 for `lab.v1.msgpack` binary, no mask, 7/16/64-bit length). Byte for
 * byte what `ws` frames for `socket.send(payload)` (test/hot-path.test.ts checks it
 * against ws's own framer), without `ws` encoding the payload and building a header per socket.
 * A socket with permessage-deflate still goes through `ws`: its frames depend on its own
 * compression context, so they cannot be shared.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { WsSubprotocol } from '../../contract/index.js';
import type { FeedEntry } from '../feed/feed.js';
import { hotPath } from './fan-out.js';
import type { TickWire } from './tick-batch.js';
import { msgpackOf } from './ws-codec.js';

const TEXT = 0x1;
const BINARY = 0x2;

export function wsFrame(payload: string | Uint8Array, opcode: 1 | 2): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x80 | opcode; // FIN
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  if (typeof payload === 'string') frame.write(payload, header, 'utf8');
  else frame.set(payload, header);
  hotPath.wsFramesBuilt += 1;
  return frame;
}

/** One message's frames, one per codec, each built on first use. */
export class WsFrames {
  private json: Buffer | undefined;
  private msgpack: Buffer | undefined;

  constructor(readonly entry: FeedEntry) {}

  of(codec: WsSubprotocol): Buffer {
    if (codec === 'lab.v1.msgpack') {
      this.msgpack ??= wsFrame(msgpackOf(this.entry), BINARY);
      return this.msgpack;
    }
    this.json ??= wsFrame(this.entry.text, TEXT);
    return this.json;
  }
}

/** Kept per entry, so a backlog sent right after a publish reuses the frames the publish built. */
const framesByEntry = new WeakMap<FeedEntry, WsFrames>();

export function framesOf(entry: FeedEntry): WsFrames {
  let frames = framesByEntry.get(entry);
  if (frames === undefined) {
    frames = new WsFrames(entry);
    framesByEntry.set(entry, frames);
  }
  return frames;
}

/** The WebSocket fan-out's wire (tick-batch.ts): a message's frame per codec, each built once. */
export const WS_WIRE: TickWire<WsSubprotocol> = {
  bytesOf: (entry, codec) => framesOf(entry).of(codec),
  concatenated: () => {
    hotPath.wsBatchesBuilt += 1;
  },
};

/** The parts of a `ws` socket a prebuilt frame needs (stable since ws 1.x, not in its types). */
interface WsInternals {
  _socket?: Socket;
}

/**
 * The TCP socket to write prebuilt frames to, or null when frames must go through `ws` (an
 * extension such as permessage-deflate rewrites every frame).
 */
export function rawSocketFor(socket: WebSocket): Socket | null {
  if (socket.extensions !== '') return null;
  return (socket as unknown as WsInternals)._socket ?? null;
}
