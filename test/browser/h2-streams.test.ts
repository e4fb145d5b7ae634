/**
 * Chromium over https (the test's own certificate ignored, in this test only): ALPN picks h2 for
 * the page, every HTTP lane shows `h2` and the WebSocket lane `http/1.1` (its own connection), and
 * the "open N streams" page connects eight EventSources over h2 while over HTTP/1.1 the seventh
 * and eighth wait; the same for long polls, counted from Resource Timing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecureRunning, startSecureLab } from '../h2/secure-lab.js';
import { launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB_ROOT = `${ROOT}web/dist`;
const SHOTS = `${ROOT}test-results/screenshots`;

let lab: SecureRunning;
let browser: Browser;
let context: BrowserContext;
const pageErrors: string[] = [];

async function open(url: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

beforeAll(async () => {
  if (!existsSync(`${WEB_ROOT}/streams.js`))
    execFileSync('node', ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  lab = await startSecureLab({ webRoot: WEB_ROOT, running: true, rate: 2 });
  browser = await launchChromium();
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await lab?.close();
});

describe('the dashboard over https', () => {
  it('the page and every HTTP lane arrive over h2; the WebSocket lane over its own HTTP/1.1 connection', async () => {
    const page = await open(`https://localhost:${lab.httpsPort}/`);
    expect(await page.getAttribute('#page-protocol', 'data-protocol')).toBe('h2');
    await page.waitForFunction(
      () =>
        ['short-poll', 'long-poll', 'sse', 'websocket', 'socket.io'].every((t) =>
          document.querySelector(`.lane[data-transport="${t}"] [data-role="protocol"]`)?.getAttribute('data-protocol'),
        ),
      undefined,
      { timeout: 60_000, polling: 100 },
    );
    const protocols = await page.$$eval('.lane[data-transport]', (lanes) =>
      Object.fromEntries(
        lanes.map((l) => [
          (l as HTMLElement).dataset.transport,
          l.querySelector('[data-role="protocol"]')?.getAttribute('data-protocol'),
        ]),
      ),
    );
    // Socket.IO starts with Engine.IO's polling (over h2 here) and then upgrades to a WebSocket, which
    // takes its own HTTP/1.1 connection like the WebSocket lane: either is what the lane may show.
    const { 'socket.io': socketIo, ...others } = protocols;
    expect(others).toEqual({ 'short-poll': 'h2', 'long-poll': 'h2', sse: 'h2', websocket: 'http/1.1+tls' });
    expect(['h2', 'http/1.1+tls']).toContain(socketIo);
    await page.screenshot({ path: `${SHOTS}/dashboard-https-h2.png` });
    await page.close();
  }, 90_000);
});

describe('open N streams on one origin', () => {
  const summary = async (page: Page, attribute: string) => page.getAttribute('#streams-summary', attribute);

  it('h2: eight EventSources all connect and receive', async () => {
    const page = await open(`https://localhost:${lab.httpsPort}/streams.html?run=sse&n=8`);
    await page.waitForFunction(
      () => document.querySelector('#streams-summary')?.getAttribute('data-connected') === '8',
      undefined,
      {
        timeout: 60_000,
      },
    );
    expect(await page.textContent('#streams-protocol')).toBe('h2');
    // And they receive: the server counts messages delivered to each of the eight.
    const ids = await page.evaluate(() => [...document.querySelectorAll('#streams-table tr[data-kind]')].length);
    expect(ids).toBe(8);
    await page.screenshot({ path: `${SHOTS}/streams-h2-sse.png` });
    await page.close();
  }, 90_000);

  it('h1: six EventSources connect, the seventh and eighth wait', async () => {
    const page = await open(`http://localhost:${lab.port}/streams.html?run=sse&n=8`);
    await page.waitForFunction(
      () => document.querySelector('#streams-summary')?.getAttribute('data-connected') === '6',
      undefined,
      {
        timeout: 60_000,
      },
    );
    // Counted, not timed: the server holds exactly six of this page's streams while two stay queued.
    expect(await page.$$eval('#streams-table tr[data-state="queued"]', (rows) => rows.length)).toBe(2);
    await page.screenshot({ path: `${SHOTS}/streams-h1-sse.png` });
    await page.close();
  }, 90_000);

  it('long polls: over h1 two of eight wait for a free connection, over h2 none', async () => {
    // Paused, so every poll is held to its timeout: a message answering one early would end it
    // before the others start, and "waited" (started after another ended) would count a race.
    const paused = await fetch(`http://127.0.0.1:${lab.port}/api/feed`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ running: false }),
    });
    expect(paused.status).toBe(200);
    const h1 = await open(`http://localhost:${lab.port}/streams.html?run=long-poll&n=8`);
    const h2 = await open(`https://localhost:${lab.httpsPort}/streams.html?run=long-poll&n=8`);
    for (const page of [h1, h2]) {
      await page.waitForFunction(
        () => (document.querySelector('#streams-summary')?.getAttribute('data-waited') ?? '') !== '',
        undefined,
        {
          timeout: 60_000,
        },
      );
    }
    expect(await summary(h1, 'data-waited')).toBe('2');
    expect(await summary(h2, 'data-waited')).toBe('0');
    await h2.screenshot({ path: `${SHOTS}/streams-h2-long-poll.png` });
    await h1.close();
    await h2.close();
  }, 90_000);

  it('no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
