/**
 * A server-to-client WebSocket text frame (RFC 6455 §5.2: FIN, opcode 1, no mask, 7/16/64-bit
 * length), built once per message and written as is to every socket that negotiated no
 * extension. Byte for byte what `ws` would frame for `socket.send(text)` — see
 * test/hot-path.test.ts — without `ws` encoding the text and allocating a header per socket.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { FeedEntry } from '../feed/feed.js';
import { hotPath } from './fan-out.js';

export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN + text
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, header, 'utf8');
  hotPath.wsFramesBuilt += 1;
  return frame;
}

/** Frames of the messages most recently built, so a backlog right after a publish reuses them. */
const built = new WeakMap<FeedEntry, Buffer>();

export function frameOf(entry: FeedEntry): Buffer {
  let frame = built.get(entry);
  if (frame === undefined) {
    frame = textFrame(entry.text);
    built.set(entry, frame);
  }
  return frame;
}

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
