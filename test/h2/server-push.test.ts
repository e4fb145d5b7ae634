/**
 * Server push is not a feed (docs/http2.md): Node's http2 client receives the PUSH_PROMISE and the
 * pushed body; Chromium (Debian's, through playwright-core) disallows push, so the server
 * promises nothing and the page's fetch of the same path goes over the network. Counted on both
 * ends, never timed.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSHED_PATH, pushCounters } from '../../server/h2/push-demo.js';
import { chromiumPush, nodeClientPush } from '../../tools/push-probe.js';
import { launchChromium } from '../browser/chromium.js';
import { type SecureRunning, startSecureLab } from './secure-lab.js';

let lab: SecureRunning;
let browser: Browser;

beforeAll(async () => {
  lab = await startSecureLab();
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await lab?.close();
});

describe('server push', () => {
  it("Node's http2 client gets the PUSH_PROMISE and the pushed body, over h2c and over TLS", async () => {
    const counters = pushCounters(lab.app.lab);
    for (const base of [lab.h2cUrl, lab.httpsUrl]) {
      const before = { ...counters };
      const got = await nodeClientPush(base);
      expect(got.answer).toEqual({ protocol: 'h2', pushAllowed: true, promised: 1 });
      expect(got.pushed).toHaveLength(1);
      expect(got.pushed[0]).toMatchObject({ path: PUSHED_PATH, via: 'push' });
      expect(counters.promised - before.promised).toBe(1);
      // The pushed resource never came as a request: the server answered no fetch of it.
      expect(counters.networkFetches - before.networkFetches).toBe(0);
    }
  });

  it('Chromium refuses push: nothing is promised, and fetch() of the path goes to the network', async () => {
    const counters = pushCounters(lab.app.lab);
    const before = { ...counters };
    const seen = await chromiumPush(browser, lab.httpsUrl);
    expect(seen.pageProtocol).toBe('h2');
    expect(seen.answer).toEqual({ protocol: 'h2', pushAllowed: false, promised: 0 });
    expect(seen.fetchAfter).toMatchObject({ via: 'network', nextHopProtocol: 'h2' });
    expect(counters.refused - before.refused).toBe(1);
    expect(counters.promised - before.promised).toBe(0);
    expect(counters.networkFetches - before.networkFetches).toBe(1);
    // Chromium removed push in version 106.
    expect(Number(seen.version.split('.')[0])).toBeGreaterThanOrEqual(106);
  });

  it('over HTTP/1.1 there is no push at all', async () => {
    const answer = await (await fetch(`${lab.url}/api/push-demo?client=push-h1`)).json();
    expect(answer).toEqual({ protocol: 'http/1.1', pushAllowed: false, promised: 0 });
  });
});
