/**
 * Issue 10, SSE memory per idle stream: the stream's head is written in one `writeHead` with the
 * security headers in it (`rawHead: 'own'`, server/security/headers.ts), so an open stream keeps no
 * header table on its response, and its close listener is not wrapped by `once` — counted here —
 * and the head on the wire is the one it always was:
 * the same names (in their case), values and order, a CORS header through a network listener
 * included.
 */
import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkListener } from '../server/networks.js';
import { type Running, startLab, until } from './harness.js';

let lab: Running;
const responses: ServerResponse[] = [];
/** The names of each response's `finish` listeners once Fastify has routed it (this listener runs after Fastify's). */
const finishAtRouting = new Map<string, string[]>();

beforeAll(async () => {
  lab = await startLab();
  lab.app.server.on('request', (request, response: ServerResponse) => {
    responses.push(response);
    finishAtRouting.set(
      request.url ?? '',
      response.listeners('finish').map((listener) => listener.name),
    );
  });
});
afterAll(async () => {
  await lab.close();
});

/** The head of `GET path` on a raw socket, line by line (the Date line without its value), and the socket. */
async function headOf(port: number, path: string, origin?: string): Promise<{ lines: string[]; socket: net.Socket }> {
  const socket = net.connect(port, '127.0.0.1');
  const extra = origin === undefined ? '' : `Origin: ${origin}\r\n`;
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`);
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  await until(() => text.includes('\r\n\r\n'), 20_000, 'the head');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return { lines: head.split('\r\n').map((line) => (line.startsWith('Date: ') ? 'Date: …' : line)), socket };
}

const SECURITY = [
  "Content-Security-Policy: default-src 'none';frame-ancestors 'none'",
  'Referrer-Policy: no-referrer',
  'X-Content-Type-Options: nosniff',
];
const SSE = [
  'content-type: text/event-stream; charset=utf-8',
  'cache-control: no-cache, no-transform',
  'connection: keep-alive',
  'x-accel-buffering: no',
  'Date: …',
  'Transfer-Encoding: chunked',
];

describe('an SSE stream head', () => {
  it('is the same bytes as ever; the open stream keeps no header table and no once wrapper', async () => {
    const before = responses.length;
    const { lines, socket } = await headOf(lab.port, '/api/sse?client=head-1');
    expect(lines).toEqual(['HTTP/1.1 200 OK', ...SECURITY, ...SSE]);
    await until(() => responses.length > before, 10_000, 'the response');
    const response = responses.at(-1) as ServerResponse;
    expect(response.headersSent).toBe(true);
    // Headers set with setHeader would stay here for as long as the stream is open.
    expect(response.getHeaderNames()).toEqual([]);
    // The stream's close listener is its own function, not wrapped by `once` (a bound function and a state object).
    const closeListeners = response.rawListeners('close').map((listener) => listener.name);
    expect(closeListeners).toContain('onClose');
    expect(closeListeners).not.toContain('bound onceWrapper');
    // Fastify's end listener (it keeps its Reply and Request) is let go: the logger is off (sse.ts).
    expect(response.listeners('finish').map((listener) => listener.name)).not.toContain('onResFinished');
    expect(response.listeners('error').map((listener) => listener.name)).not.toContain('onResFinished');
    socket.destroy();
  });

  it("lets go of Fastify's end listener, which an ordinary answer keeps (so a rename in Fastify fails here)", async () => {
    await (await fetch(`${lab.url}/api/time`)).text();
    expect(finishAtRouting.get('/api/time')).toContain('onResFinished');
    const { socket } = await headOf(lab.port, '/api/sse?client=head-3');
    expect(finishAtRouting.get('/api/sse?client=head-3')).not.toContain('onResFinished');
    socket.destroy();
  });

  it('through a network listener: CORS between the security headers and the stream’s own, as before', async () => {
    const listener = (await (
      await fetch(`${lab.url}/api/networks/lan/listener`, { method: 'POST' })
    ).json()) as NetworkListener;
    const { lines, socket } = await headOf(listener.port, '/api/sse?client=head-2', lab.url);
    expect(lines).toEqual(['HTTP/1.1 200 OK', ...SECURITY, `access-control-allow-origin: ${lab.url}`, ...SSE]);
    socket.destroy();
  });
});
