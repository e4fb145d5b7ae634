/**
 * The resume table of DESIGN.md §2, row by row, on every transport: a client can always tell
 * "I have everything" from "I missed some".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../contract/index.js';
import { publishMany, type Running, range, seqs, startLab } from './harness.js';
import { ask } from './transport-probe.js';

const RETENTION = 5;
let lab: Running;
let epoch: string;

beforeAll(async () => {
  lab = await startLab({ retention: RETENTION });
  await publishMany(lab.url, 10); // head 10, oldest 6
  epoch = lab.app.lab.feed.epoch;
});
afterAll(() => lab.close());

describe.each(TRANSPORTS)('%s', (transport) => {
  it('same epoch, within retention: exactly since+1 … head, in order, nothing twice', async () => {
    const answer = await ask(transport, lab.url, `?since=7&epoch=${epoch}`, 3);
    expect(answer.reset).toBeNull();
    expect(seqs(answer.messages)).toEqual([8, 9, 10]);
  });

  it('since = oldest-1 is still exact (the boundary of the ring)', async () => {
    const answer = await ask(transport, lab.url, `?since=5&epoch=${epoch}`, 5);
    expect(answer.reset).toBeNull();
    expect(seqs(answer.messages)).toEqual(range(6, 10));
  });

  it('a since without epoch is read in the current epoch', async () => {
    const answer = await ask(transport, lab.url, '?since=9', 1);
    expect(answer.reset).toBeNull();
    expect(seqs(answer.messages)).toEqual([10]);
  });

  it('evicted cursor: a reset with the number missed, then everything from oldest', async () => {
    const answer = await ask(transport, lab.url, `?since=2&epoch=${epoch}`, 5);
    expect(answer.reset).toEqual({ reason: 'evicted', epoch, missed: 3, from: 6 });
    expect(seqs(answer.messages)).toEqual(range(6, 10));
  });

  it('cursor from another epoch: a reset "epoch", then from the oldest retained', async () => {
    const answer = await ask(transport, lab.url, '?since=8&epoch=old0epoch', 5);
    expect(answer.reset).toEqual({ reason: 'epoch', epoch, from: 6 });
    expect(seqs(answer.messages)).toEqual(range(6, 10));
  });

  it('a future cursor is refused in the transport’s own way', async () => {
    const answer = await ask(transport, lab.url, `?since=11&epoch=${epoch}`, 0);
    expect(answer.messages).toEqual([]);
    if (transport === 'websocket') {
      expect(answer.closeCode).toBe(4400);
      expect(answer.error).toMatch(/ahead of head 10/);
    } else if (transport === 'socket.io') {
      // Socket.IO refuses in its own way: a connect_error whose data is the lab's code.
      expect(JSON.parse(answer.error as string)).toMatchObject({
        code: 'LAB_FUTURE_CURSOR',
        message: expect.stringMatching(/ahead of head 10/),
      });
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
      const answer = await ask(transport, lab.url, `?since=${encodeURIComponent(since)}`, 0);
      if (transport === 'websocket') {
        expect(answer.closeCode).toBe(4400);
        expect(answer.error).toMatch(/since must be a whole number/);
      } else if (transport === 'socket.io') {
        expect(JSON.parse(answer.error as string)).toMatchObject({
          code: 'LAB_BAD_CURSOR',
          message: expect.stringMatching(/since must be a whole number/),
        });
      } else {
        expect(answer.status).toBe(400);
        const body = JSON.parse(answer.error as string);
        expect(body.code).toBe('LAB_BAD_CURSOR');
        expect(body.message).toMatch(/since must be a whole number/);
      }
    },
  );

  it('a malformed epoch: a clear 400', async () => {
    const answer = await ask(transport, lab.url, '?since=1&epoch=NOT-AN-EPOCH', 0);
    if (transport === 'websocket') expect(answer.closeCode).toBe(4400);
    else if (transport === 'socket.io') expect(JSON.parse(answer.error as string).code).toBe('LAB_BAD_CURSOR');
    else expect(answer.status).toBe(400);
  });
});

describe('sse Last-Event-ID', () => {
  it('overrides the query, as EventSource sends it on reconnect', async () => {
    const answer = await ask('sse', lab.url, '?since=1', 2, { 'last-event-id': `${epoch}:8` });
    expect(seqs(answer.messages)).toEqual([9, 10]);
  });

  it('a malformed Last-Event-ID is a 400 before the stream starts', async () => {
    const answer = await ask('sse', lab.url, '', 0, { 'last-event-id': 'garbage' });
    expect(answer.status).toBe(400);
  });

  it('each event id is <epoch>:<seq>', async () => {
    const res = await fetch(`${lab.url}/api/sse?since=9&epoch=${epoch}`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('\n\n', text.indexOf('id:'))) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    // retry: first, then the hello whose id is the stream's starting position.
    expect(text).toMatch(
      new RegExp(`^retry: \\d+\nid: ${epoch}:9\nevent: hello\ndata: \\{"epoch":"${epoch}","head":10,"oldest":6\\}\n\n`),
    );
    expect(text).toContain(`id: ${epoch}:10\ndata: {"epoch":"${epoch}","seq":10,`);
  });
});

describe('live only (no cursor)', () => {
  it.each(TRANSPORTS)('%s sends nothing from history', async (transport) => {
    if (transport === 'long-poll') {
      const answer = await ask(transport, lab.url, '?timeout=0', 0);
      expect(answer.messages).toEqual([]);
      return;
    }
    const answer = await ask(transport, lab.url, '', 0);
    expect(answer.messages).toEqual([]);
    expect(answer.reset).toBeNull();
  });
});
