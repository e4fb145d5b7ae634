/**
 * The protocol floor: the fewest framing bytes each transport must spend to carry one feed
 * message, computed from the specifications (RFC 6455 §5.2, WHATWG HTML §9.2, RFC 9112, and the
 * Engine.IO v4 / Socket.IO v5 protocols of https://github.com/socketio/socket.io-protocol).
 * The lab shows it beside the measured overhead, so a student sees what is protocol and what
 * is habit (headers, heartbeats, chunking).
 */
import type { TransportCounters, TransportName } from './index.js';

export interface FloorPart {
  name: string;
  bytes: number;
}

export interface Floor {
  /** Framing bytes per delivered message (payload excluded). */
  total: number;
  parts: FloorPart[];
}

export interface FloorInput {
  /** Bytes of the message JSON. */
  payloadBytes: number;
  /** Epoch and seq of a typical message, for the SSE `id:` line and the poll cursor. */
  epoch?: string;
  seq?: number;
  /** Messages carried by one poll answer on average (polls amortize their request over these). */
  messagesPerResponse?: number;
}

/** RFC 6455 §5.2: 2-byte header, +2 for 126…65 535 bytes, +8 beyond. */
export function wsFrameHeaderBytes(payloadBytes: number, masked = false): number {
  const base = payloadBytes <= 125 ? 2 : payloadBytes <= 0xffff ? 4 : 10;
  return base + (masked ? 4 : 0);
}

/** RFC 9112 §7.1: `<hex size>\r\n` before the chunk data and `\r\n` after it. */
export function chunkFramingBytes(chunkBytes: number): number {
  return chunkBytes.toString(16).length + 4;
}

/** The `id:` field the lab's SSE stream sends: `id: <epoch>:<seq>\n`. */
export function sseIdLine(epoch: string, seq: number): string {
  return `id: ${epoch}:${seq}\n`;
}

const utf8 = (text: string): number => new TextEncoder().encode(text).length;

function part(name: string, text: string): FloorPart {
  return { name, bytes: utf8(text) };
}

/** The smallest legal HTTP/1.1 poll: request line + Host, status line + Content-Length, JSON envelope. */
function pollFloor(route: string, input: FloorInput): Floor {
  const epoch = input.epoch ?? 'q7k2';
  const seq = input.seq ?? 1;
  const perResponse = Math.max(1, input.messagesPerResponse ?? 1);
  const envelope = `{"epoch":"${epoch}","head":${seq},"messages":[]}`;
  const body = utf8(envelope) + input.payloadBytes * perResponse + (perResponse - 1);
  const exchange = [
    part('request line', `GET ${route}?since=${seq - 1}&epoch=${epoch} HTTP/1.1\r\n`),
    part('Host header', 'Host: 127.0.0.1\r\n'),
    part('end of request headers', '\r\n'),
    part('status line', 'HTTP/1.1 200 OK\r\n'),
    // An average of messages per answer may be fractional; a Content-Length never is.
    part('Content-Length header', `Content-Length: ${Math.round(body)}\r\n`),
    part('end of response headers', '\r\n'),
    part('JSON envelope', envelope),
  ];
  // The request, the headers and the envelope are paid once per answer, shared by its messages.
  const parts = exchange.map((p) => ({ name: p.name, bytes: p.bytes / perResponse }));
  if (perResponse > 1) parts.push({ name: 'commas between messages', bytes: (perResponse - 1) / perResponse });
  return { total: parts.reduce((sum, p) => sum + p.bytes, 0), parts };
}

export function floorOverhead(transport: TransportName, input: FloorInput): Floor {
  const epoch = input.epoch ?? 'q7k2';
  const seq = input.seq ?? 1;
  switch (transport) {
    case 'websocket': {
      const header = wsFrameHeaderBytes(input.payloadBytes);
      return { total: header, parts: [{ name: 'frame header (server→client, unmasked)', bytes: header }] };
    }
    case 'sse': {
      const event = `${sseIdLine(epoch, seq)}data: ${'x'.repeat(input.payloadBytes)}\n\n`;
      const parts = [
        part('id line', sseIdLine(epoch, seq)),
        part('"data: " field name', 'data: '),
        part('line end + blank line', '\n\n'),
        // HTTP/1.1 has no length for a stream, so each write is a chunk (RFC 9112 §7.1).
        { name: 'HTTP/1.1 chunk framing', bytes: chunkFramingBytes(utf8(event)) },
      ];
      return { total: parts.reduce((sum, p) => sum + p.bytes, 0), parts };
    }
    case 'socket.io': {
      // The least Socket.IO can send, once upgraded to WebSocket: `42["feed",<message>]` in one
      // text frame (Engine.IO message type 4, Socket.IO EVENT type 2, then a JSON array).
      const envelope = [part('Engine.IO "4" + Socket.IO "2"', '42'), part('["feed",', '["feed",'), part(']', ']')];
      const envelopeBytes = envelope.reduce((sum, p) => sum + p.bytes, 0);
      const parts = [
        ...envelope,
        {
          name: 'frame header (server→client, unmasked)',
          bytes: wsFrameHeaderBytes(input.payloadBytes + envelopeBytes),
        },
      ];
      return { total: parts.reduce((sum, p) => sum + p.bytes, 0), parts };
    }
    case 'short-poll':
      return pollFloor('/api/poll', input);
    case 'long-poll':
      return pollFloor('/api/long-poll', input);
  }
}

/** Measured bytes per delivered message, split into payload and overhead, beside the floor. */
export interface MeasuredOverhead {
  payloadPerMessage: number;
  /** Bytes on the wire, in + out, per delivered message. */
  wirePerMessage: number;
  overheadPerMessage: number;
  floor: Floor;
}

/**
 * From a transport's counters (bytes at the TCP socket, messages, requests, empty answers) to
 * its cost per delivered message. One function for the server's `/api/stats` and the dashboard
 * (which subtracts a baseline first): null until a message was delivered.
 */
export function measuredOverhead(
  transport: TransportName,
  counters: Pick<
    TransportCounters,
    'messages' | 'payloadBytes' | 'bytesIn' | 'bytesOut' | 'requests' | 'emptyResponses'
  >,
  at: { epoch?: string; seq?: number } = {},
): MeasuredOverhead | null {
  if (counters.messages === 0) return null;
  const payloadPerMessage = counters.payloadBytes / counters.messages;
  const wirePerMessage = (counters.bytesIn + counters.bytesOut) / counters.messages;
  const answersWithMessages = counters.requests - counters.emptyResponses;
  const floor = floorOverhead(transport, {
    payloadBytes: Math.round(payloadPerMessage),
    epoch: at.epoch,
    seq: Math.max(1, at.seq ?? 1),
    messagesPerResponse: answersWithMessages > 0 ? counters.messages / answersWithMessages : 1,
  });
  return { payloadPerMessage, wirePerMessage, overheadPerMessage: wirePerMessage - payloadPerMessage, floor };
}

/** RFC 9113 §4.1: every HTTP/2 frame has a 9-byte header. */
export const H2_FRAME_HEADER_BYTES = 9;

/**
 * RFC 7541 §6.1: a header field already in the static or dynamic table costs one byte while its
 * index is below 127 (7-bit prefix), more beyond. That is HPACK's whole trick for repeated polls.
 */
export function hpackIndexedBytes(index: number): number {
  if (index < 127) return 1;
  let bytes = 2;
  for (let rest = index - 127; rest >= 128; rest = Math.floor(rest / 128)) bytes += 1;
  return bytes;
}

/**
 * The floor over HTTP/2 (RFC 9113, RFC 7541): the fewest bytes one message costs besides its
 * payload once HPACK has indexed every repeated header. A poll: a request HEADERS frame of four
 * indexed fields (:method, :scheme, :authority, :path — the path indexed too, as a client
 * repeating the same poll would), a response HEADERS frame with :status 200 indexed and a
 * content-length literal (its value changes), a DATA frame with the JSON. SSE: one DATA frame
 * per event (no chunk framing: the frame has the length).
 */
export function floorOverheadH2(transport: Exclude<TransportName, 'websocket'>, input: FloorInput): Floor {
  const epoch = input.epoch ?? 'q7k2';
  const seq = input.seq ?? 1;
  if (transport === 'sse') {
    const parts = [
      part('id line', sseIdLine(epoch, seq)),
      part('"data: " field name', 'data: '),
      part('line end + blank line', '\n\n'),
      { name: 'DATA frame header', bytes: H2_FRAME_HEADER_BYTES },
    ];
    return { total: parts.reduce((sum, p) => sum + p.bytes, 0), parts };
  }
  const perResponse = Math.max(1, input.messagesPerResponse ?? 1);
  const envelope = `{"epoch":"${epoch}","head":${seq},"messages":[]}`;
  const body = Math.round(utf8(envelope) + input.payloadBytes * perResponse + (perResponse - 1));
  // content-length: a literal without indexing (RFC 7541 §6.2.2) naming static entry 28 — two
  // bytes, as 28 overflows the 4-bit prefix — then a length byte and the digits.
  const contentLength = 2 + 1 + String(body).length;
  const exchange = [
    { name: 'request HEADERS frame header', bytes: H2_FRAME_HEADER_BYTES },
    { name: 'request: 4 indexed fields', bytes: 4 * hpackIndexedBytes(62) },
    { name: 'response HEADERS frame header', bytes: H2_FRAME_HEADER_BYTES },
    { name: ':status 200 (indexed)', bytes: hpackIndexedBytes(8) },
    { name: 'content-length (literal value)', bytes: contentLength },
    { name: 'DATA frame header', bytes: H2_FRAME_HEADER_BYTES },
    part('JSON envelope', envelope),
  ];
  const parts = exchange.map((p) => ({ name: p.name, bytes: p.bytes / perResponse }));
  if (perResponse > 1) parts.push({ name: 'commas between messages', bytes: (perResponse - 1) / perResponse });
  return { total: parts.reduce((sum, p) => sum + p.bytes, 0), parts };
}
