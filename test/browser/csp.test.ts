/**
 * The dashboard under its own Content-Security-Policy (server/security/headers.ts), in a real
 * headless Chromium: the page loads, every lane receives, the chat and the handshake inspector
 * work — and the browser raises not one CSP violation (no `securitypolicyviolation` event, no
 * console report). A violation here means the page needs an inline script or style, or an eval,
 * that the policy forbids: fix the page, never the policy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../../contract/index.js';
import { buildApp } from '../../server/app.js';
import { cspHeaderValue } from '../../server/security/headers.js';
import { launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB_ROOT = `${ROOT}web/dist`;

let app: FastifyInstance;
let browser: Browser;
let page: Page;
let origin = '';
const cspConsole: string[] = [];

beforeAll(async () => {
  if (!existsSync(`${WEB_ROOT}/main.js`))
    execFileSync('node', ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' });
  app = await buildApp({ webRoot: WEB_ROOT, running: true, rate: 5 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  origin = `http://127.0.0.1:${address.port}`;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspConsole.push(message.text());
  });
  // Installed before any of the page's own scripts run, so nothing escapes it.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(
        `${event.violatedDirective} blocked ${event.blockedURI || '(inline)'} at ${event.sourceFile}:${event.lineNumber}`,
      );
    });
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const violations = (): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);

describe('the dashboard under its Content-Security-Policy', () => {
  it('is served with the policy, no unsafe-inline, no unsafe-eval', async () => {
    const response = await page.goto(`${origin}/`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toBe(cspHeaderValue());
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
  });

  it('runs every lane, the inspector and the chat without a single violation', async () => {
    await page.waitForFunction(
      (transports) =>
        transports.every(
          (t) =>
            Number((document.querySelector(`.lane[data-transport="${t}"]`) as HTMLElement | null)?.dataset.received) >=
            3,
        ),
      TRANSPORTS,
      { timeout: 15_000, polling: 100 },
    );
    await page.waitForSelector('[data-accept-computed]', { timeout: 10_000 });
    const text = `csp check ${Date.now()}`;
    await page.fill('#chat-text', text);
    await page.click('#chat-send');
    await page.waitForFunction(
      ({ transports, text }) =>
        transports.every((t) =>
          document.querySelector(`.lane[data-transport="${t}"] [data-role="chat"]`)?.textContent?.includes(text),
        ),
      { transports: TRANSPORTS, text },
      { timeout: 10_000, polling: 100 },
    );
    // The lanes' colours come through the CSSOM: the policy did not strip them.
    const laneColour = await page.$eval(`.lane[data-transport="sse"]`, (e) =>
      getComputedStyle(e).getPropertyValue('--lane').trim(),
    );
    expect(laneColour).not.toBe('');
    expect(await violations()).toEqual([]);
    expect(cspConsole).toEqual([]);
  });

  it('the check can fail: an inline script on the page is reported', async () => {
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.body.appendChild(script);
    });
    await page.waitForFunction(() => (window as unknown as { __cspViolations: string[] }).__cspViolations.length > 0);
    expect((await violations())[0]).toMatch(/^script-src/);
    expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
  });
});
