/**
 * The resume table of DESIGN.md §2, row by row, on every transport: a client can always tell
 * "I have everything" from "I missed some".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../contract/index.js';
import { publishMany, type Running, seqs, startLab } from './harness.js';
import { resumeTable } from './resume-table.js';
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

resumeTable(() => ({ url: lab.url, epoch }), TRANSPORTS);

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
