/**
 * The resume table of docs/contract.md, row by row, for any set of transports on any server: a client
 * can always tell "I have everything" from "I missed some". The lab must hold head 10 and oldest
 * 6 (retention 5, ten messages published). test/resume-rules.test.ts runs it over HTTP/1.1 on all
 * transports, test/h2/resume-h2.test.ts over HTTP/2 on the HTTP ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TransportName } from '../contract/index.js';
import { range, seqs } from './harness.js';
import { ask as askOnce } from './transport-probe.js';

export function resumeTable(
  target: () => { url: string; epoch: string },
  transports: readonly TransportName[],
  fetcher: typeof fetch = fetch,
): void {
  describe.each(transports)('%s', (transport) => {
    const ask = (name: TransportName, _url: string, query: string, count: number) =>
      askOnce(name, target().url, query, count, {}, fetcher);
    let epoch = '';
    beforeAll(() => {
      epoch = target().epoch;
    });
    it('same epoch, within retention: exactly since+1 … head, in order, nothing twice', async () => {
      const answer = await ask(transport, '', `?since=7&epoch=${epoch}`, 3);
      expect(answer.reset).toBeNull();
      expect(seqs(answer.messages)).toEqual([8, 9, 10]);
    });

    it('since = oldest-1 is still exact (the boundary of the ring)', async () => {
      const answer = await ask(transport, '', `?since=5&epoch=${epoch}`, 5);
      expect(answer.reset).toBeNull();
      expect(seqs(answer.messages)).toEqual(range(6, 10));
    });

    it('a since without epoch is read in the current epoch', async () => {
      const answer = await ask(transport, '', '?since=9', 1);
      expect(answer.reset).toBeNull();
      expect(seqs(answer.messages)).toEqual([10]);
    });

    it('evicted cursor: a reset with the number missed, then everything from oldest', async () => {
      const answer = await ask(transport, '', `?since=2&epoch=${epoch}`, 5);
      expect(answer.reset).toEqual({ reason: 'evicted', epoch, missed: 3, from: 6 });
      expect(seqs(answer.messages)).toEqual(range(6, 10));
    });

    it('cursor from another epoch: a reset "epoch", then from the oldest retained', async () => {
      const answer = await ask(transport, '', '?since=8&epoch=old0epoch', 5);
      expect(answer.reset).toEqual({ reason: 'epoch', epoch, from: 6 });
      expect(seqs(answer.messages)).toEqual(range(6, 10));
    });

    it('a future cursor is refused in the transport’s own way', async () => {
      const answer = await ask(transport, '', `?since=11&epoch=${epoch}`, 0);
      expect(answer.messages).toEqual([]);
      if (transport === 'websocket') {
        expect(answer.closeCode).toBe(4400);
        expect(answer.error).toMatch(/ahead of head 10/);
      } else if (transport === 'socket.io') {
        expect(JSON.parse(answer.error as string).code).toBe('LAB_FUTURE_CURSOR');
      } else if (transport === 'sse') {
        // EventSource gives up for good on a non-200: SSE says it in-band and goes live.
        expect(answer.status).toBe(200);
        expect(answer.reset).toEqual({ reason: 'future', epoch, from: 11 });
      } else {
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.error as string).code).toBe('LAB_FUTURE_CURSOR');
      }
    });

    it.each(['abc', '-1', '1e3', '0x10', '12345678901234567890', ''])(
      'malformed since=%j: a clear 400',
      async (since) => {
        const answer = await ask(transport, '', `?since=${encodeURIComponent(since)}`, 0);
        if (transport === 'websocket') {
          expect(answer.closeCode).toBe(4400);
          expect(answer.error).toMatch(/since must be a whole number/);
        } else if (transport === 'socket.io') {
          expect(JSON.parse(answer.error as string).code).toBe('LAB_BAD_CURSOR');
        } else {
          expect(answer.status).toBe(400);
          const body = JSON.parse(answer.error as string);
          expect(body.code).toBe('LAB_BAD_CURSOR');
          expect(body.message).toMatch(/since must be a whole number/);
        }
      },
    );

    it('a malformed epoch: a clear 400', async () => {
      const answer = await ask(transport, '', '?since=1&epoch=NOT-AN-EPOCH', 0);
      if (transport === 'websocket') expect(answer.closeCode).toBe(4400);
      else if (transport === 'socket.io') expect(JSON.parse(answer.error as string).code).toBe('LAB_BAD_CURSOR');
      else expect(answer.status).toBe(400);
    });
  });
}
