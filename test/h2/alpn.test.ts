/**
 * The HTTPS port speaks h2 and http/1.1, chosen by ALPN, to real clients: curl, Node's http2
 * client, undici with allowH2, ws. Same routes, same feed, same Origin rules as http://.
 */
import { execFile } from 'node:child_process';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish, until, WsProbe } from '../harness.js';
import { requireSystemTool } from '../system-tool.js';
import { connect, get } from './h2-client.js';
import { type SecureRunning, startSecureLab } from './secure-lab.js';

const run = promisify(execFile);
let lab: SecureRunning;

beforeAll(async () => {
  lab = await startSecureLab();
});
afterAll(() => lab.close());

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run(requireSystemTool('curl'), ['-s', '--max-time', '10', ...args]);
  return stdout;
}

function alpnOf(offer: string[]): Promise<string | false | null> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      port: lab.httpsPort,
      host: '127.0.0.1',
      ALPNProtocols: offer,
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => {
      resolve(socket.alpnProtocol);
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe('ALPN', () => {
  it('picks h2 when offered, http/1.1 when only that is offered', async () => {
    expect(await alpnOf(['h2', 'http/1.1'])).toBe('h2');
    expect(await alpnOf(['http/1.1'])).toBe('http/1.1');
  });

  it('curl --http2 gets HTTP/2, curl --http1.1 HTTP/1.1, on the same port and route', async () => {
    const url = `${lab.httpsUrl}/api/poll?client=curl-a`;
    const h2 = await curl(['-k', '--http2', '-w', '\n%{http_version} %{http_code}', url]);
    const h1 = await curl(['-k', '--http1.1', '-w', '\n%{http_version} %{http_code}', url]);
    expect(h2.split('\n').at(-1)).toBe('2 200');
    expect(h1.split('\n').at(-1)).toBe('1.1 200');
    expect(JSON.parse(h2.split('\n')[0] as string).epoch).toBe(lab.app.lab.feed.epoch);
  });

  it('the certificate is valid for localhost and 127.0.0.1 once trusted (curl --cacert, no -k)', async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const out = await curl([
        '--cacert',
        lab.certificate.certPath,
        '--http2',
        '-o',
        '/dev/null',
        '-w',
        '%{http_version} %{http_code} %{ssl_verify_result}',
        `https://${host}:${lab.httpsPort}/api/time`,
      ]);
      expect(out).toBe('2 200 0');
    }
  });

  it('curl --http2-prior-knowledge speaks h2c on the cleartext port', async () => {
    const out = await curl([
      '--http2-prior-knowledge',
      '-o',
      '/dev/null',
      '-w',
      '%{http_version} %{http_code}',
      `${lab.h2cUrl}/api/time`,
    ]);
    expect(out).toBe('2 200');
  });
});

describe('real h2 clients on the same feed', () => {
  it("Node's http2 client: a poll over h2 sees what http:// publishes", async () => {
    const { seq } = await publish(lab.url, { via: 'h1' });
    const session = await connect(lab.httpsUrl);
    expect(session.alpnProtocol).toBe('h2');
    const answer = await get(session, `/api/poll?since=${seq - 1}&client=node-h2`);
    session.close();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).messages.map((m: { seq: number }) => m.seq)).toEqual([seq]);
  });

  it('undici with allowH2 polls over h2 (the server counts an h2 stream for it)', async () => {
    const dispatcher = new Agent({ allowH2: true, connect: { rejectUnauthorized: false } });
    const before = lab.app.lab.accounting.h2frames.read('undici-1')['short-poll'].streams;
    const res = await undiciFetch(`${lab.httpsUrl}/api/poll?client=undici-1`, { dispatcher });
    expect(res.status).toBe(200);
    await res.text();
    await dispatcher.close();
    expect(lab.app.lab.accounting.h2frames.read('undici-1')['short-poll'].streams).toBe(before + 1);
  });

  it('Origin rules hold over h2: a foreign Origin may not publish, the page’s own may', async () => {
    const session = await connect(lab.httpsUrl);
    const post = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/api/publish',
          origin,
          'content-type': 'application/json',
        });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.on('error', reject);
        stream.resume();
        stream.end(JSON.stringify({ data: { origin } }));
      });
    expect(await post('https://evil.example')).toBe(403);
    expect(await post(lab.httpsUrl)).toBe(201);
    session.close();
  });

  it('a WebSocket on the https port is upgraded over its own HTTP/1.1 connection, and the page can read its handshake over h2', async () => {
    const probe = await WsProbe.open(lab.httpsUrl, '?client=wss-1', { rejectUnauthorized: false });
    await until(() => probe.controls('hello').length === 1, 10_000, 'hello over wss');
    probe.ws.close();
    const session = await connect(lab.httpsUrl);
    const answer = await get(session, '/api/handshake?client=wss-1');
    session.close();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).request.line).toMatch(/^GET \/api\/ws\?client=wss-1 HTTP\/1\.1$/);
  });
});
