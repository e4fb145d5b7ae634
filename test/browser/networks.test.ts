/**
 * Network profiles in a real browser (Chromium via playwright-core): the lanes' real clients go
 * through shaping listeners on 127.0.0.1 (server/networks.ts). With every lane on 3g each lane's
 * median age is at least the one-way delay; behind buffering-proxy the WebSocket lane keeps
 * receiving while the SSE lane waits, and the page says why. Waits on data-* attributes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { resolveNetwork } from '../../contract/networks.js';
import { buildApp } from '../../server/app.js';
import { launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB_ROOT = `${ROOT}web/dist`;
const SHOTS = `${ROOT}test-results/screenshots`;

let app: FastifyInstance;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const laneData = (t: TransportName) =>
  page.$eval(`.lane[data-transport="${t}"]`, (e) => ({ ...(e as HTMLElement).dataset }));

/** A wait that, when it times out, says what every lane showed and what the page threw. */
async function explainTimeout(what: string, wait: Promise<unknown>): Promise<void> {
  try {
    await wait;
  } catch (error) {
    const lanes = await Promise.all(TRANSPORTS.map(async (t) => [t, await laneData(t)]));
    throw new Error(
      `${what}: ${(error as Error).message}\nlanes: ${JSON.stringify(Object.fromEntries(lanes))}\n` +
        `page errors: ${JSON.stringify(pageErrors)}`,
    );
  }
}

/** Every lane on `name`, its numbers started over once all have switched. */
async function allOn(name: string): Promise<void> {
  await page.selectOption('#network-all', name);
  await explainTimeout(
    `every lane on ${name}`,
    page.waitForFunction(
      ({ transports, name }) =>
        transports.every((t) => {
          const d = (document.querySelector(`.lane[data-transport="${t}"]`) as HTMLElement).dataset;
          return d.network === name && d.state !== 'connecting' && d.state !== 'off';
        }),
      { transports: TRANSPORTS, name },
      { timeout: 15_000, polling: 100 },
    ),
  );
  const before = Object.fromEntries(
    await Promise.all(TRANSPORTS.map(async (t) => [t, Number((await laneData(t)).numberResets)])),
  );
  await page.click('#reset-numbers');
  // The lanes' data-* attributes follow the render loop (four times a second): wait until each lane
  // shows the reset, or a read right after it sees the old counts. Not "received fell": a lane that
  // had 1 message before can have 1 again by its next render.
  await explainTimeout(
    'every lane shows the reset',
    page.waitForFunction(
      ({ transports, before }) =>
        transports.every((t) => {
          const d = (document.querySelector(`.lane[data-transport="${t}"]`) as HTMLElement).dataset;
          return Number(d.numberResets) > before[t];
        }),
      { transports: TRANSPORTS, before },
      { timeout: 15_000, polling: 50 },
    ),
  );
}

async function received(t: TransportName, atLeast: number, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    ({ t, atLeast }) =>
      Number((document.querySelector(`.lane[data-transport="${t}"]`) as HTMLElement).dataset.received) >= atLeast,
    { t, atLeast },
    { timeout, polling: 100 },
  );
}

beforeAll(async () => {
  if (!existsSync(`${WEB_ROOT}/main.js`))
    execFileSync('node', ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  app = await buildApp({ webRoot: WEB_ROOT, running: true, rate: 5 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`http://127.0.0.1:${address.port}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  await page.waitForSelector('#network-all option[value="3g"]', { state: 'attached', timeout: 20_000 });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('network profiles in the dashboard', () => {
  it('all lanes on 3g: each lane shows its profile, and its age p50 is at least the one-way delay', {
    timeout: 60_000,
  }, async () => {
    await allOn('3g');
    for (const t of TRANSPORTS) await received(t, 8);
    const oneWay = resolveNetwork('3g').rttMs / 2;
    for (const t of TRANSPORTS) {
      const d = await laneData(t);
      expect(d.network, t).toBe('3g');
      expect(Number(d.ageP50), `${t} age p50`).toBeGreaterThanOrEqual(oneWay);
      expect(Number(d.lost), `${t} lost`).toBe(0);
      const badge = await page.textContent(`.lane[data-transport="${t}"] [data-role="network"]`);
      expect(badge).toContain('3g');
      // The model line includes the profile's RTT.
      const model = await page.getAttribute(`.lane[data-transport="${t}"] [data-role="model"]`, 'data-model-ms');
      expect(Number(model), `${t} model`).toBeGreaterThanOrEqual(oneWay);
    }
    await page.screenshot({ path: `${SHOTS}/networks-3g-1280x900.png`, fullPage: false });
  });

  it('behind buffering-proxy WebSocket keeps receiving while SSE waits, and the page says why', {
    timeout: 60_000,
  }, async () => {
    // One message a second: 8 KiB of SSE events is then most of a minute away.
    await page.selectOption('#feed-rate', '1');
    await allOn('buffering-proxy');
    await received('websocket', 3);
    const sse = await laneData('sse');
    expect(Number(sse.received), 'SSE held back by the proxy').toBe(0);
    const why = await page.textContent('.lane[data-transport="sse"] [data-role="network-why"]');
    expect(why).toMatch(/never ends/);
    const wsWhy = await page.textContent('.lane[data-transport="websocket"] [data-role="network-why"]');
    expect(wsWhy).toMatch(/tunnel/);
    // Polls pass: each answer ends.
    await received('long-poll', 3);
    await page.screenshot({ path: `${SHOTS}/networks-buffering-1280x900.png`, fullPage: false });
    expect(pageErrors).toEqual([]);
  });
});
