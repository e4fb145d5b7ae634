/**
 * The handshake inspector's arithmetic, in Node: Sec-WebSocket-Accept from RFC 6455's own
 * example, through crypto.subtle and through the plain-JS SHA-1 the page falls back on when it
 * is not in a secure context (a classroom opening http://<lan-ip>:3000).
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeAccept, fromBase64, hex, toBase64, WEBSOCKET_GUID } from '../../web/src/accept.js';
import { sha1 } from '../../web/src/sha1.js';

// RFC 6455 §1.3: "the server would … return … s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

describe('Sec-WebSocket-Accept, step by step', () => {
  it('matches RFC 6455’s example with crypto.subtle', async () => {
    const steps = await computeAccept(RFC_KEY, globalThis.crypto.subtle);
    expect(steps.accept).toBe(RFC_ACCEPT);
    expect(steps.via).toBe('crypto.subtle.digest');
    expect(steps.concatenated).toBe(RFC_KEY + WEBSOCKET_GUID);
    expect(steps.keyBytes?.length).toBe(16);
    expect(new TextDecoder().decode(steps.keyBytes ?? new Uint8Array())).toBe('the sample nonce');
    expect(steps.digest.length).toBe(20);
  });

  it('matches it with the JavaScript SHA-1 when crypto.subtle is missing', async () => {
    const steps = await computeAccept(RFC_KEY, null);
    expect(steps.accept).toBe(RFC_ACCEPT);
    expect(steps.via).toMatch(/JavaScript SHA-1/);
  });

  it('the JavaScript SHA-1 agrees with node:crypto around every padding boundary', () => {
    for (const length of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 1000, 4099]) {
      const data = new Uint8Array(randomBytes(length));
      expect(hex(sha1(data)).replaceAll(' ', ''), `length ${length}`).toBe(
        createHash('sha1').update(data).digest('hex'),
      );
    }
  });

  it('base64 both ways, and a key that is not base64 shows no bytes', () => {
    const bytes = new Uint8Array(randomBytes(16));
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    expect(fromBase64('not base64!')).toBeNull();
  });
});
