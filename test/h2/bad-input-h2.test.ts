/**
 * Bad HTTP/2 input, written frame by frame (raw-h2.ts), gets a clear answer at the protocol level
 * and costs the other clients nothing: a victim's SSE stream over its own h2 connection receives
 * every message, in order, throughout; the server's open streams go back to the victim's alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H2_MAX_CONCURRENT_STREAMS } from '../../server/app.js';
import { FRAME_TYPE } from '../../server/h2/frames.js';
import { publish, range, until } from '../harness.js';
import { connect, get, sse } from './h2-client.js';
import { ERROR_CODE, FLAG, frame, getHeaderBlock, RawH2 } from './raw-h2.js';
import { type SecureRunning, startSecureLab } from './secure-lab.js';

let lab: SecureRunning;
let victim: { seqs: number[]; close(): void };
let closeVictim: () => void;
let published: number[] = [];

beforeAll(async () => {
  lab = await startSecureLab();
  const session = await connect(lab.h2cUrl);
  victim = sse(session, '/api/sse?client=victim');
  closeVictim = () => session.close();
  await until(() => lab.app.lab.accounting.ledger.read('victim').sse.connections === 1, 10_000, 'victim stream');
});
afterAll(async () => {
  closeVictim();
  await lab.close();
});

/** Publish one message and wait until the victim has it: the attack just made cost it nothing. */
async function victimStillServed(): Promise<void> {
  const { seq } = await publish(lab.url, { during: 'attack' });
  published.push(seq);
  await until(() => victim.seqs.length === published.length, 10_000, 'victim message');
  expect(victim.seqs).toEqual(range(published[0] as number, seq));
  published = published.slice();
}

const headers = (streamId: number, path: string) =>
  frame(FRAME_TYPE.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, streamId, getHeaderBlock(path));

describe('bad h2 input', () => {
  it(`a stream flood past SETTINGS_MAX_CONCURRENT_STREAMS (${H2_MAX_CONCURRENT_STREAMS}) ends that connection; its held streams are released`, async () => {
    const raw = await RawH2.connect(lab.h2cPort);
    await until(() => raw.of(FRAME_TYPE.SETTINGS).length >= 1, 10_000, 'server SETTINGS');
    const flood = Array.from({ length: H2_MAX_CONCURRENT_STREAMS + 50 }, (_, i) =>
      headers(1 + 2 * i, '/api/long-poll?timeout=30000&client=flood'),
    );
    raw.write(Buffer.concat(flood));
    await until(() => raw.closed, 10_000, 'flooding connection closed');
    // nghttp2 treats exceeding the acknowledged limit as a connection error: the streams it had
    // accepted are reset, the connection closed. Nothing of the flood is left on the server.
    expect(raw.of(FRAME_TYPE.RST_STREAM).length + raw.of(FRAME_TYPE.GOAWAY).length).toBeGreaterThan(0);
    await until(
      () => lab.app.lab.accounting.ledger.read('flood')['long-poll'].connections === 0,
      10_000,
      'flood released',
    );
    expect(lab.app.lab.accounting.openStreams).toBe(1);
    await victimStillServed();
  });

  it('an oversized header block (20 KiB over HEADERS + CONTINUATION) is refused on its stream: RST_STREAM ENHANCE_YOUR_CALM', async () => {
    const raw = await RawH2.connect(lab.h2cPort);
    // After the SETTINGS exchange, so the server's header-list limit is in force (RFC 9113 §6.5.3).
    await until(() => raw.of(FRAME_TYPE.SETTINGS).length >= 2, 10_000, 'SETTINGS and ACK');
    const block = getHeaderBlock('/api/poll?client=big', [['x-big', 'a'.repeat(20_000)]]);
    raw.write(
      Buffer.concat([
        frame(FRAME_TYPE.HEADERS, FLAG.END_STREAM, 1, block.subarray(0, 16_000)),
        frame(FRAME_TYPE.CONTINUATION, FLAG.END_HEADERS, 1, block.subarray(16_000)),
      ]),
    );
    await until(() => raw.of(FRAME_TYPE.RST_STREAM).length === 1, 10_000, 'RST_STREAM');
    expect(raw.of(FRAME_TYPE.RST_STREAM)[0]).toMatchObject({ streamId: 1, errorCode: ERROR_CODE.ENHANCE_YOUR_CALM });
    // The connection itself is still good: a normal request on it is answered.
    raw.write(headers(3, '/api/time'));
    await until(() => raw.of(FRAME_TYPE.HEADERS).some((f) => f.streamId === 3), 10_000, 'answer on stream 3');
    expect(lab.app.lab.accounting.ledger.read('big')['short-poll'].requests).toBe(0);
    raw.socket.destroy();
    await victimStillServed();
  });

  it('a RST_STREAM storm (2 000 requests, each reset at once) is ended with a GOAWAY', async () => {
    const raw = await RawH2.connect(lab.h2cPort);
    const cancel = Buffer.alloc(4);
    cancel.writeUInt32BE(ERROR_CODE.CANCEL);
    const storm: Buffer[] = [];
    for (let i = 0; i < 2_000; i++) {
      storm.push(headers(1 + 2 * i, '/api/poll?client=storm'), frame(FRAME_TYPE.RST_STREAM, 0, 1 + 2 * i, cancel));
    }
    raw.write(Buffer.concat(storm));
    await until(() => raw.of(FRAME_TYPE.GOAWAY).length === 1, 10_000, 'GOAWAY');
    raw.socket.destroy();
    // Far fewer of the 2 000 reached the lab than were sent: the storm was cut short.
    expect(lab.app.lab.accounting.ledger.read('storm')['short-poll'].requests).toBeLessThan(2_000);
    await victimStillServed();
  });

  it('after all of it, a well-behaved h2 client is served as before', async () => {
    const session = await connect(lab.h2cUrl);
    const answer = await get(session, '/api/time');
    session.close();
    expect(answer.status).toBe(200);
    await victimStillServed();
  });
});
