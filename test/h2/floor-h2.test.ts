/** The HTTP/2 floor (contract/floor.ts): frame headers and HPACK's indexed fields, by hand. */
import { describe, expect, it } from 'vitest';
import { floorOverhead, floorOverheadH2, H2_FRAME_HEADER_BYTES, hpackIndexedBytes } from '../../contract/floor.js';

describe('the h2 floor', () => {
  it('an indexed header field costs one byte below index 127, more above (RFC 7541 §5.1)', () => {
    expect(hpackIndexedBytes(2)).toBe(1);
    expect(hpackIndexedBytes(126)).toBe(1);
    expect(hpackIndexedBytes(127)).toBe(2);
    expect(hpackIndexedBytes(127 + 128)).toBe(3);
  });

  it('a poll over h2: three 9-byte frame headers, four indexed request fields, :status, content-length, the envelope', () => {
    const floor = floorOverheadH2('short-poll', { payloadBytes: 128, epoch: 'q7k2abcd', seq: 7 });
    const envelope = '{"epoch":"q7k2abcd","head":7,"messages":[]}'.length;
    const body = envelope + 128;
    expect(floor.total).toBe(3 * H2_FRAME_HEADER_BYTES + 4 + 1 + (3 + String(body).length) + envelope);
    // Less than HTTP/1.1's floor for the same poll: no request line, no header names spelled out.
    expect(floor.total).toBeLessThan(
      floorOverhead('short-poll', { payloadBytes: 128, epoch: 'q7k2abcd', seq: 7 }).total,
    );
  });

  it('SSE over h2: a DATA frame header instead of HTTP/1.1 chunk framing', () => {
    const h1 = floorOverhead('sse', { payloadBytes: 128, epoch: 'q7k2abcd', seq: 7 });
    const h2 = floorOverheadH2('sse', { payloadBytes: 128, epoch: 'q7k2abcd', seq: 7 });
    const chunk = h1.parts.find((p) => p.name === 'HTTP/1.1 chunk framing')?.bytes ?? 0;
    expect(h2.total).toBe(h1.total - chunk + H2_FRAME_HEADER_BYTES);
  });
});
