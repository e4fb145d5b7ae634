/**
 * A frozen peer (the client's process SIGSTOPped) on the transports besides WebSocket (that one is
 * in test/bad-input-ws.test.ts). A stopped process's kernel still ACKs what arrives, until its
 * receive buffer is full, so a server sees a frozen peer only through a heartbeat it must answer
 * (WebSocket ping, Engine.IO `2`/`3`) or through its own write backlog (docs/reliability.md):
 *
 * - Socket.IO: closed when a `3` does not come within `socketIoPingTimeoutMs` of the `2`; with the
 *   timeout not over one interval that is within two heartbeat intervals, counted here in the
 *   ticks of a live bystander, as for WebSocket.
 * - SSE: nothing to answer (a heartbeat is a comment the client never acknowledges); the stream is
 *   destroyed once more than `slowConsumerBytes` wait to be written to it — so "terminated" comes
 *   after the kernel's buffers and that backlog filled, and with a quiet feed never.
 * - Long poll: the held poll ends at its timeout (or the next message) like any other; the frozen
 *   process then asks nothing more, so nothing of it stays held.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { type Running, startLab, until } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A client in a process of its own, which prints `open` once it is connected. */
async function frozenClient(script: string, url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', script, url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout as NodeJS.ReadableStream, 'data');
  return child;
}

async function withLab(lab: Running, child: ChildProcess | null, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    child?.kill('SIGKILL');
    await lab.close();
  }
}

describe('a frozen peer (its process SIGSTOPped)', () => {
  it('Socket.IO: closed within two heartbeat intervals (the `3` never comes)', async () => {
    const lab = await startLab({ socketIoPingMs: 500, socketIoPingTimeoutMs: 500 });
    let child: ChildProcess | null = null;
    await withLab(lab, null, async () => {
      // Engine.IO's ping and pong, in a process of its own.
      child = await frozenClient(
        `const { io } = require('socket.io-client'); const s = io(process.argv[1], { path: '/socket.io/', transports: ['websocket'], query: { client: 'frozen' } }); s.on('connect', () => console.log('open'));`,
        lab.url,
      );
      const bystander = io(lab.url, { path: '/socket.io/', transports: ['websocket'], query: { client: 'live' } });
      let ticks = 0;
      await new Promise((resolve) => bystander.once('connect', () => resolve(null)));
      bystander.io.engine.on('ping', () => {
        ticks += 1;
      });
      try {
        await until(() => lab.app.lab.accounting.openStreams === 2, 10_000, 'both connected');
        await until(() => ticks >= 1, 10_000, 'a first heartbeat');
        (child as ChildProcess | null)?.kill('SIGSTOP');
        const ticksAtStop = ticks;
        await until(() => lab.app.lab.accounting.openStreams === 1, 20_000, 'the frozen peer to be closed');
        // pingInterval + pingTimeout = two intervals; one more tick of phase between the two timers.
        expect(ticks - ticksAtStop).toBeLessThanOrEqual(3);
        expect(bystander.connected).toBe(true);
      } finally {
        bystander.close();
        (child as ChildProcess | null)?.kill('SIGKILL');
      }
    });
  }, 60_000);

  it('SSE: destroyed once its write backlog passes slowConsumerBytes; a live reader beside it is untouched', async () => {
    // 3 MiB/s: the stopped process's kernel takes tens of MiB before the backlog starts (tcp_rmem).
    const lab = await startLab({ rate: 200, payloadBytes: 16_384, running: false });
    const child = await frozenClient(
      `require('http').get(process.argv[1] + '/api/sse?client=frozen', (r) => { r.once('data', () => console.log('open')); r.resume(); });`,
      lab.url,
    );
    await withLab(lab, child, async () => {
      let liveBytes = 0;
      let liveClosed = false;
      const live = http.get(`${lab.url}/api/sse?client=live`, (response) => {
        response.on('data', (chunk: Buffer) => {
          liveBytes += chunk.length;
        });
        response.on('close', () => {
          liveClosed = true;
        });
      });
      live.on('error', () => {});
      try {
        await until(() => lab.app.lab.accounting.openStreams === 2, 10_000, 'both streams open');
        child.kill('SIGSTOP');
        await fetch(`${lab.url}/api/feed`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ running: true }),
        });
        const before = liveBytes;
        // Bounded only against a hang: how long the kernel's buffers take to fill is the machine's.
        await until(
          () => lab.app.lab.accounting.openStreams === 1 || liveClosed,
          90_000,
          'the frozen stream to be destroyed',
        );
        expect(liveClosed).toBe(false);
        await until(() => liveBytes > before + 1024 * 1024, 10_000, 'the live reader to keep reading');
        expect(liveClosed).toBe(false);
      } finally {
        live.destroy();
      }
    });
  }, 120_000);

  it('long poll: the held poll ends at its timeout and nothing of the frozen client stays held', async () => {
    const lab = await startLab();
    const child = await frozenClient(
      `const ask = () => fetch(process.argv[1] + '/api/long-poll?client=frozen&timeout=1000').then((r) => r.text()).then(() => { console.log('open'); ask(); }); ask();`,
      lab.url,
    );
    await withLab(lab, child, async () => {
      await until(() => lab.app.lab.accounting.openStreams === 1, 10_000, 'a held poll');
      child.kill('SIGSTOP');
      await until(() => lab.app.lab.accounting.openStreams === 0, 30_000, 'the held poll to end');
      // The stopped process asks nothing more: still nothing held a few poll timeouts later.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(lab.app.lab.accounting.openStreams).toBe(0);
    });
  }, 60_000);
});
