/**
 * Issue 11: the notes' echo and broadcast servers (examples/), run as a student runs them — one
 * process each, from its npm script's command — and talked to by real ws clients; and the
 * client-side counter (examples/client.mjs) pointed at the echo server.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { until } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** `node examples/<file>` on a free port; resolves with its ws:// URL once it says it listens. */
async function startExample(file: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [`examples/${file}`], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${output}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (ws:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`${file} exited ${code}: ${output}`)));
  });
  return { child, url };
}

async function connect(url: string): Promise<{ ws: WebSocket; frames: string[] }> {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(data.toString()));
  await once(ws, 'open');
  return { ws, frames };
}

describe('examples/echo-server.mjs', () => {
  it('answers every text in upper case with "!!!", and closes 1001 on SIGTERM', async () => {
    const { child, url } = await startExample('echo-server.mjs');
    const client = await connect(url);
    client.ws.send('hello, websocket');
    client.ws.send('ünïcødé');
    await until(() => client.frames.length === 2, 10_000, 'two answers');
    expect(client.frames).toEqual(['HELLO, WEBSOCKET!!!', 'ÜNÏCØDÉ!!!']);
    const closed = once(client.ws, 'close');
    child.kill('SIGTERM');
    const [code] = (await closed) as [number];
    expect(code).toBe(1001);
    const [exitCode] = (await once(child, 'exit')) as [number];
    expect(exitCode).toBe(0);
  });
});

describe('examples/broadcast-server.mjs', () => {
  it('relays what one client sends to every client, and says who joined and left', async () => {
    const { url } = await startExample('broadcast-server.mjs');
    const a = await connect(url);
    const b = await connect(url);
    const c = await connect(url);
    const said = (client: { frames: string[] }) => client.frames.filter((f) => !f.startsWith('{"type"'));
    b.ws.send('hi all');
    await until(() => [a, b, c].every((x) => said(x).length === 1), 10_000, 'the relay to all three');
    for (const x of [a, b, c]) expect(said(x)).toEqual(['hi all']);
    expect(a.frames).toContain('{"type":"joined","online":3}');
    c.ws.close();
    await until(() => a.frames.includes('{"type":"left","online":2}'), 10_000, 'the left notice');
    a.ws.close();
    b.ws.close();
  });
});

describe('examples/client.mjs', () => {
  it('points clients at the echo server and counts bytes at the client’s socket', async () => {
    const { url } = await startExample('echo-server.mjs');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['examples/client.mjs', url, '--clients', '3', '--messages', '4', '--text', 'abc', '--json'],
        { cwd: ROOT, timeout: 60_000 },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ clients: 3, messagesSent: 12, framesReceived: 12 });
    expect(report.lastFrame).toBe('ABC 0.3!!!');
    // Counted at the socket: at least each frame's payload, plus headers and the handshake.
    // Up: 12 masked frames of "abc i.n" (7 bytes + 6 header) plus 3 upgrade requests and closes.
    expect(report.bytesOut as number).toBeGreaterThan(12 * 13);
    expect(report.bytesIn as number).toBeGreaterThan(12 * (10 + 2));
  });
});
