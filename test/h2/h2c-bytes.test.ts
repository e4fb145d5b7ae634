/**
 * Over h2c the lab's byte counts equal a TCP proxy's (scenarios/tcp-proxy.ts), to the byte: the
 * client's transports (from its streams' frames) plus the connection's own frames (preface,
 * SETTINGS, PING, WINDOW_UPDATE on stream 0: `other`) make up exactly what crossed the socket. And
 * the frame split shows HPACK at work: a repeated poll's HEADERS shrink once its headers are indexed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../../contract/index.js';
import { TcpProxy } from '../../scenarios/tcp-proxy.js';
import { publish, until } from '../harness.js';
import { connect, get, sse } from './h2-client.js';
import { type SecureRunning, startSecureLab } from './secure-lab.js';

let lab: SecureRunning;
let proxy: TcpProxy;

beforeAll(async () => {
  lab = await startSecureLab();
  proxy = await new TcpProxy({ upstreamPort: lab.h2cPort }).listen();
});
afterAll(async () => {
  await proxy.close();
  await lab.close();
});

describe('h2c accounting', () => {
  it('equals the TCP proxy to the byte, per direction; HEADERS and DATA add up to it', async () => {
    const client = 'h2c-exact';
    const session = await connect(`http://127.0.0.1:${proxy.port}`);
    const stream = sse(session, `/api/sse?client=${client}`);
    const heldPoll = get(session, `/api/long-poll?client=${client}&timeout=20000`);
    await until(
      () => lab.app.lab.accounting.ledger.read(client)['long-poll'].connections === 1,
      10_000,
      'held long poll',
    );
    const first = await publish(lab.url, { n: 1 });
    await heldPoll;
    for (let i = 0; i < 3; i++) {
      const answer = await get(session, `/api/poll?since=${first.seq - 1}&client=${client}`);
      expect(answer.status).toBe(200);
    }
    await publish(lab.url, { n: 2 });
    await until(() => stream.seqs.length === 2, 10_000, 'two SSE messages');
    stream.close();
    session.close();
    await proxy.idle();

    const { sessions, ledger, h2frames } = lab.app.lab.accounting;
    await until(() => sessions.openConnections === 0, 10_000, 'session closed');
    sessions.settleAll();
    const mine = ledger.read(client);
    const frames = h2frames.read();
    const counted = {
      in: frames.other.headersIn + frames.other.dataIn + frames.other.controlIn,
      out: frames.other.headersOut + frames.other.dataOut + frames.other.controlOut,
    };
    for (const transport of TRANSPORTS) {
      counted.in += mine[transport].bytesIn;
      counted.out += mine[transport].bytesOut;
      const f = h2frames.read(client)[transport];
      // Per transport: the ledger's TCP bytes are exactly its frames (cleartext, one owner per stream).
      expect(mine[transport].bytesIn).toBe(f.headersIn + f.dataIn + f.controlIn);
      expect(mine[transport].bytesOut).toBe(f.headersOut + f.dataOut + f.controlOut);
    }
    const totals = proxy.totals;
    expect(counted).toEqual({ in: totals.clientToServer, out: totals.serverToClient });
    expect(mine.sse.messages).toBe(2);
    expect(mine['long-poll'].messages).toBe(1);
    expect(h2frames.read(client)['short-poll'].streams).toBe(3);
  });

  it('HPACK: the second identical poll sends smaller HEADERS than the first, both ways', async () => {
    const client = 'h2c-hpack';
    const session = await connect(lab.h2cUrl);
    const headerBytes: { in: number; out: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const before = lab.app.lab.accounting.h2frames.read(client)['short-poll'];
      await get(session, `/api/poll?client=${client}`);
      lab.app.lab.accounting.sessions.settleAll();
      const after = lab.app.lab.accounting.h2frames.read(client)['short-poll'];
      headerBytes.push({ in: after.headersIn - before.headersIn, out: after.headersOut - before.headersOut });
    }
    session.close();
    const [first, second, third] = headerBytes as [
      (typeof headerBytes)[0],
      (typeof headerBytes)[0],
      (typeof headerBytes)[0],
    ];
    expect(second.in).toBeLessThan(first.in);
    expect(second.out).toBeLessThan(first.out);
    // From then on the same request headers cost the same: the table already holds them. (The
    // response's may differ by a few bytes: its `date` changes every second and is sent anew.)
    expect(third.in).toBe(second.in);
    expect(third.out).toBeLessThan(first.out);
  });
});
