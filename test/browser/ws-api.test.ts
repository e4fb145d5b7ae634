/**
 * Issue 11 in a real browser (Debian Chromium via playwright-core): the "Your WebSocket" panel
 * runs `new WebSocket(url, protocols)` as the student typed it and shows events, readyState,
 * protocol and extensions as they change — against the lab (a subprotocol it speaks, one it does
 * not, compression) and against the notes' echo server (examples/echo-server.mjs) as a custom URL,
 * with bytes counted at the client side. And the WebSocket lane's offer switch: the lane goes on
 * receiving over MessagePack, and the handshake inspector shows the offer and the answer.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.js';
import { launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB_ROOT = `${ROOT}web/dist`;
const SHOTS = `${ROOT}test-results/screenshots`;

let app: FastifyInstance;
let browser: Browser;
let page: Page;
let echo: ChildProcess;
let echoUrl = '';
let wsOrigin = '';
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(`${WEB_ROOT}/main.js`))
    execFileSync('node', ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  app = await buildApp({ webRoot: WEB_ROOT, running: true, rate: 5 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  wsOrigin = `ws://127.0.0.1:${address.port}`;

  echo = spawn(process.execPath, ['examples/echo-server.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  echoUrl = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`echo server did not start: ${output}`)), 30_000);
    echo.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (ws:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`http://127.0.0.1:${address.port}/`);
  await page.waitForSelector('#api-props tr[data-prop="readyState"]', { timeout: 60_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (echo && echo.exitCode === null) echo.kill('SIGTERM');
});

/** The panel's property table, as text. */
async function props(): Promise<Record<string, string>> {
  return page.$$eval('#api-props tr[data-prop]', (rows) =>
    Object.fromEntries(rows.map((r) => [(r as HTMLElement).dataset.prop, r.querySelector('td')?.textContent ?? ''])),
  );
}

async function events(): Promise<string[]> {
  return page.$$eval('#api-log li', (items) => items.map((i) => (i as HTMLElement).dataset.event ?? '').reverse());
}

async function openSocket(url: string, protocols: string): Promise<void> {
  await page.fill('#api-url', url);
  await page.fill('#api-protocols', protocols);
  await page.click('#api-open');
}

async function waitProp(name: string, pattern: RegExp): Promise<void> {
  await page.waitForFunction(
    ({ name, source }) =>
      new RegExp(source).test(document.querySelector(`#api-props tr[data-prop="${name}"] td`)?.textContent ?? ''),
    { name, source: pattern.source },
    { timeout: 15_000, polling: 100 },
  );
}

describe('the browser WebSocket API panel', { timeout: 90_000 }, () => {
  it('shows the code it runs, then open, messages, protocol and readyState for lab.v1.msgpack', async () => {
    await page.fill('#api-protocols', 'lab.v1.msgpack');
    await page.fill('#api-url', `${wsOrigin}/api/ws?client=api-test`);
    expect(await page.textContent('#api-code')).toBe(
      `const ws = new WebSocket("${wsOrigin}/api/ws?client=api-test", ["lab.v1.msgpack"]);`,
    );
    await page.click('#api-open');
    await waitProp('readyState', /^1 \(OPEN\)$/);
    await waitProp('protocol', /^"lab\.v1\.msgpack"$/);
    await page.waitForFunction(
      () => /binary, \d+ bytes/.test(document.querySelector('#api-log')?.textContent ?? ''),
      null,
      {
        timeout: 15_000,
      },
    );
    const seen = await events();
    expect(seen.slice(0, 3)).toEqual(['new', 'open', 'message']);
    expect((await props()).extensions).toBe('""');
  });

  it('an unknown subprotocol: the server answers none, and the browser fails the connection (error, then close 1006)', async () => {
    await openSocket(`${wsOrigin}/api/ws`, 'totally-made-up');
    await waitProp('readyState', /^3 \(CLOSED\)$/);
    const seen = await events();
    expect(seen.slice(-2)).toEqual(['error', 'close']);
    expect(await page.textContent('#api-log li:first-child')).toMatch(/code 1006/);
  });

  it('compress=1: the extensions property shows permessage-deflate, and an echo comes back', async () => {
    await openSocket(`${wsOrigin}/api/ws?compress=1`, 'lab.v1.json');
    await waitProp('readyState', /^1 \(OPEN\)$/);
    await waitProp('extensions', /permessage-deflate/);
    await page.fill('#api-text', '{"type":"echo","from":"the panel"}');
    await page.click('#api-send');
    await page.waitForFunction(
      () => (document.querySelector('#api-log')?.textContent ?? '').includes('{"type":"echo","from":"the panel"}'),
      null,
      { timeout: 15_000 },
    );
    await page.click('#api-close');
    await waitProp('readyState', /^3 \(CLOSED\)$/);
    expect(await page.textContent('#api-log li:first-child')).toMatch(/code 1000 "closed by you", wasClean true/);
  });

  it('a custom URL: the notes’ echo server answers in upper case; bytes counted at the client side', async () => {
    await openSocket(echoUrl, '');
    expect(await page.textContent('#api-code')).toBe(`const ws = new WebSocket("${echoUrl}");`);
    await waitProp('readyState', /^1 \(OPEN\)$/);
    await page.fill('#api-text', 'hello, my server');
    await page.click('#api-send');
    await page.waitForFunction(
      () => (document.querySelector('#api-log')?.textContent ?? '').includes('HELLO, MY SERVER!!!'),
      null,
      { timeout: 15_000 },
    );
    // 16 bytes up in a masked frame (2 + 4 header), 19 back unmasked (2 header).
    expect(await page.textContent('#api-counts')).toBe(
      'sent 1 frames: 16 B payload + 6 B frame headers · received 1 frames: 19 B payload + 2 B frame headers',
    );
    await page.locator('#ws-api').screenshot({ path: `${SHOTS}/ws-api-panel.png` });
  });
});

describe('the WebSocket lane’s offer switch and the inspector', { timeout: 90_000 }, () => {
  it('offering lab.v1.msgpack: the lane goes on receiving; the inspector shows offer and answer', async () => {
    const lane = '.lane[data-transport="websocket"]';
    await page.waitForFunction(
      (lane) => Number(document.querySelector<HTMLElement>(lane)?.dataset.received) >= 2,
      lane,
      {
        timeout: 15_000,
      },
    );
    await page.selectOption(`${lane} select[data-action="subprotocol"]`, { label: 'lab.v1.msgpack' });
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-negotiation="subprotocol"]')?.textContent ?? '').includes(
          'the server picked lab.v1.msgpack',
        ),
      null,
      { timeout: 20_000, polling: 200 },
    );
    const received = Number(await page.getAttribute(lane, 'data-received'));
    await page.waitForFunction(
      ({ lane, received }) => Number(document.querySelector<HTMLElement>(lane)?.dataset.received) >= received + 3,
      { lane, received },
      { timeout: 15_000 },
    );
    expect(Number(await page.getAttribute(lane, 'data-lost'))).toBe(0);

    await page.check(`${lane} input[data-action="compress"]`);
    await page.waitForFunction(
      () => (document.querySelector('[data-negotiation="extensions"]')?.textContent ?? '').includes('accepted'),
      null,
      { timeout: 20_000, polling: 200 },
    );
    await page.locator('#ws').screenshot({ path: `${SHOTS}/ws-negotiation.png` });
    expect(pageErrors).toEqual([]);
  });
});
