/**
 * Security headers on every answer the lab gives — pages, static files, JSON, errors, streams —
 * and the classroom-bind warning. The dashboard's behaviour under the policy is checked in a real
 * browser by test/browser/csp.test.ts.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposureWarning, isLoopbackHost } from '../../server/security/exposure.js';
import { cspHeaderValue } from '../../server/security/headers.js';
import { startLabServer } from '../../tools/child-process.js';
import { type Running, startLab, until } from '../harness.js';

const WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));
let lab: Running;

beforeAll(async () => {
  lab = await startLab({ webRoot: WEB_ROOT });
});
afterAll(async () => {
  await lab.close();
});

async function headersOf(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers }> {
  const abort = new AbortController();
  const res = await fetch(`${lab.url}${path}`, { ...init, signal: abort.signal });
  abort.abort(); // streams (SSE, stats stream) never end by themselves: the headers are enough
  return { status: res.status, headers: res.headers };
}

const PAGES = ['/', '/index.html', '/style.css', '/main.js', '/no-such-page'];
const API = [
  '/api/poll',
  '/api/long-poll?timeout=0',
  '/api/sse',
  '/api/feed',
  '/api/time',
  '/api/stats',
  '/api/stats/stream',
  '/api/handshake?client=nobody',
  '/api/poll?since=abc',
  '/api/ws',
];

describe('security headers', () => {
  it.each(PAGES)('%s: the full policy, nosniff, no-referrer, never framed', async (path) => {
    const { headers } = await headersOf(path);
    expect(headers.get('content-security-policy')).toBe(cspHeaderValue());
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('x-frame-options')).toBe('DENY');
    // Plain HTTP lab: no HSTS (it would pin every localhost port to HTTPS), no upgrade-insecure-requests.
    expect(headers.get('strict-transport-security')).toBeNull();
    expect(headers.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests|unsafe-inline|unsafe-eval/);
  });

  it.each(API)('%s: the short API set (load nothing, framed by nobody)', async (path) => {
    const { status, headers } = await headersOf(path);
    expect(status).toBeGreaterThanOrEqual(200);
    expect(headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('POST /api/publish and PUT /api/feed answers carry them too', async () => {
    const json = { 'content-type': 'application/json' };
    for (const [path, method] of [
      ['/api/publish', 'POST'],
      ['/api/feed', 'PUT'],
    ] as const) {
      const { headers } = await headersOf(path, { method, headers: json, body: JSON.stringify({ data: 1 }) });
      expect(headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(headers.get('content-security-policy'), path).toMatch(/frame-ancestors 'none'/);
    }
  });
});

describe('the classroom bind', () => {
  it('loopback names are recognised, others are not', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3', 'lab.localhost']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.com', 'localhost.example.com']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
    expect(exposureWarning('127.0.0.1', 3000, { maxStreams: 10 })).toBeNull();
  });

  it('--host 0.0.0.0 prints what it exposes before it listens; the default bind prints nothing', async () => {
    const open = await startLabServer({ args: ['--host', '0.0.0.0'] });
    try {
      await until(() => open.output().includes('Reachable at:'), 5_000, 'the warning');
      const output = open.output();
      expect(output).toMatch(/WARNING: listening on 0\.0\.0\.0, not loopback/);
      expect(output).toMatch(/POST \/api\/publish/);
      expect(output).toMatch(/PUT \/api\/feed/);
    } finally {
      await open.stop();
    }
    const closed = await startLabServer();
    try {
      expect(closed.output()).not.toMatch(/WARNING/);
    } finally {
      await closed.stop();
    }
    // Two real processes start here: on a busy shared machine each may take 20 s.
  }, 90_000);
});
