/**
 * The two framings of `/api/ws`, one per subprotocol (contract: WS_SUBPROTOCOLS). A connection's
 * codec is fixed by its handshake: `lab.v1.msgpack` → binary MessagePack frames both ways;
 * `lab.v1.json` or no subprotocol → JSON text frames both ways.
 *
 * Feed messages are encoded once per publish, whatever the number of sockets: the JSON text by
 * the feed itself, the MessagePack bytes on first use and kept on the entry (`msgpackOf`).
 */
import { decode, encode } from '@msgpack/msgpack';
import type { WsServerControl, WsSubprotocol } from '../../contract/index.js';
import type { FeedEntry } from '../feed/feed.js';

export interface WsCodec {
  name: WsSubprotocol;
  /** What goes on the wire for a feed message, and how many bytes that payload is. */
  entry(entry: FeedEntry): { payload: string | Uint8Array; bytes: number };
  /** The bytes of that payload alone (what /api/stats counts as payload). */
  entryBytes(entry: FeedEntry): number;
  control(frame: WsServerControl): string | Uint8Array;
  /** A client frame, decoded; throws with a reason a student can act on. */
  decode(raw: Buffer, isBinary: boolean): unknown;
}

const msgpackCache = new WeakMap<FeedEntry, Uint8Array>();

/** The entry's MessagePack bytes: the same object as its JSON text, encoded at most once. */
export function msgpackOf(entry: FeedEntry): Uint8Array {
  let bytes = msgpackCache.get(entry);
  if (bytes === undefined) {
    bytes = encode(JSON.parse(entry.text));
    msgpackCache.set(entry, bytes);
  }
  return bytes;
}

const json: WsCodec = {
  name: 'lab.v1.json',
  entry: (entry) => ({ payload: entry.text, bytes: entry.bytes }),
  entryBytes: (entry) => entry.bytes,
  control: (frame) => JSON.stringify(frame),
  decode(raw, isBinary) {
    if (isBinary) throw new Error('frames must be JSON text under lab.v1.json (this one was binary)');
    try {
      return JSON.parse(raw.toString());
    } catch {
      throw new Error('frames must be JSON text: this one does not parse');
    }
  },
};

const msgpack: WsCodec = {
  name: 'lab.v1.msgpack',
  entry(entry) {
    const payload = msgpackOf(entry);
    return { payload, bytes: payload.byteLength };
  },
  entryBytes: (entry) => msgpackOf(entry).byteLength,
  control: (frame) => encode(frame),
  decode(raw, isBinary) {
    if (!isBinary) throw new Error('frames must be binary MessagePack under lab.v1.msgpack (this one was text)');
    try {
      return decode(raw);
    } catch {
      throw new Error('frames must be MessagePack: this one does not decode');
    }
  },
};

export function codecFor(protocol: string): WsCodec {
  return protocol === msgpack.name ? msgpack : json;
}
