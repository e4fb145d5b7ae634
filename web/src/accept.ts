/**
 * Sec-WebSocket-Accept, step by step (RFC 6455 §1.3, §4.2.2):
 *
 *   accept = base64( SHA-1( Sec-WebSocket-Key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ) )
 *
 * The key is base64 of 16 random bytes the browser picked for this handshake. The server proves
 * it understood the WebSocket request (a plain HTTP server or cache would not answer this);
 * it is not authentication and not encryption.
 */
import { sha1 } from './sha1.js';

export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface AcceptSteps {
  key: string;
  /** The 16 random bytes the key encodes (null if it is not valid base64). */
  keyBytes: Uint8Array | null;
  /** key + GUID, the exact ASCII text that is hashed. */
  concatenated: string;
  digest: Uint8Array;
  accept: string;
  /** Which SHA-1 computed it. */
  via: 'crypto.subtle.digest' | 'JavaScript SHA-1 (no crypto.subtle outside a secure context)';
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** `subtle`: null computes with the JavaScript SHA-1 (what a page outside a secure context gets). */
export async function computeAccept(
  key: string,
  subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null,
): Promise<AcceptSteps> {
  const concatenated = key + WEBSOCKET_GUID;
  const data = new TextEncoder().encode(concatenated);
  let digest: Uint8Array;
  let via: AcceptSteps['via'];
  if (subtle !== null) {
    digest = new Uint8Array(await subtle.digest('SHA-1', data));
    via = 'crypto.subtle.digest';
  } else {
    digest = sha1(data);
    via = 'JavaScript SHA-1 (no crypto.subtle outside a secure context)';
  }
  return { key, keyBytes: fromBase64(key), concatenated, digest, accept: toBase64(digest), via };
}
