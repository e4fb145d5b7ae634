/**
 * A real lab process, stopped with SIGTERM while clients of every transport are attached, then
 * started again: pending long polls are answered 200 with nothing, SSE streams end, WebSockets
 * close 1012, the process exits within 5 s; and a client holding a cursor from the old process
 * gets a reset with reason `epoch` on every transport — never a silent continue.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../contract/index.js';
import { type ChildServer, startLabServer } from '../tools/child-process.js';
import { publishMany, range, SseProbe, seqs, until, WsProbe } from './harness.js';
import { ask } from './transport-probe.js';

const running: ChildServer[] = [];
afterAll(async () => {
  for (const lab of running) if (lab.child.exitCode === null) await lab.stop('SIGKILL');
});

describe('shutdown and restart', () => {
  it('SIGTERM ends every transport its own way and exits within 5 s; the next process resets old cursors', async () => {
    const first = await startLabServer();
    running.push(first);
    await publishMany(first.url, 3);

    const longPoll = fetch(`${first.url}/api/long-poll?since=3&timeout=60000`).then(async (res) => ({
      status: res.status,
      body: await res.json(),
    }));
    const sse = new SseProbe(first.url, '?since=0');
    const ws = await WsProbe.open(first.url, '?since=0');
    await until(() => sse.messages.length === 3 && ws.messages().length === 3, 5_000, 'backlog');
    let sseErrored = false;
    sse.es.onerror = () => {
      sseErrored = true;
      sse.close(); // the server is gone; do not reconnect into the next test
    };
    // Stop only once the server holds the long poll (its own gauge says so).
    let metrics = '';
    await until(
      () => {
        void fetch(`${first.url}/metrics`)
          .then((res) => res.text())
          .then((text) => {
            metrics = text;
          });
        return metrics.includes('lab_connections{transport="long-poll"} 1');
      },
      5_000,
      'the long poll to be held',
    );

    const { code, ms } = await first.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
    const held = await longPoll;
    expect(held.status).toBe(200);
    expect(held.body.messages).toEqual([]);
    expect(await ws.closed()).toBe(1012);
    await until(() => sseErrored, 3_000, 'the SSE stream to end');

    const second = await startLabServer();
    running.push(second);
    expect(second.epoch).not.toBe(first.epoch);
    await publishMany(second.url, 2);
    for (const transport of TRANSPORTS) {
      const answer = await ask(transport, second.url, `?since=3&epoch=${first.epoch}`, 2);
      expect(answer.reset, transport).toEqual({ reason: 'epoch', epoch: second.epoch, from: 1 });
      expect(seqs(answer.messages), transport).toEqual(range(1, 2));
    }
    const stopped = await second.stop('SIGINT');
    expect(stopped.code).toBe(0);
  });
});
