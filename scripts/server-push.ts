/**
 * `npx tsx scripts/server-push.ts`: the server-push demonstration measured (docs/http2.md).
 * Starts a lab with its HTTPS (ALPN h2) and h2c ports, then asks `/api/push-demo` with Node's
 * http2 client (over h2c and TLS) and with Debian's Chromium (over TLS), and writes what each
 * received and what the server counted to results/server-push/<timestamp>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../server/app.js';
import { loadOrCreateCertificate } from '../server/h2/certificate.js';
import { listenSecure } from '../server/h2/listeners.js';
import { pushCounters } from '../server/h2/push-demo.js';
import { launchChromium } from '../test/browser/chromium.js';
import { ROOT } from '../tools/child-process.js';
import { chromiumPush, nodeClientPush } from '../tools/push-probe.js';

const at = new Date().toISOString();
const app = await buildApp({ running: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const certDir = mkdtempSync(join(os.tmpdir(), 'lab-push-'));
const certificate = await loadOrCreateCertificate(certDir);
const secure = await listenSecure(app, { host: '127.0.0.1', httpsPort: 0, h2cPort: 0, certificate });
const https = `https://localhost:${secure.httpsPort}`;
const h2c = `http://127.0.0.1:${secure.h2cPort}`;
const counters = pushCounters(app.lab);
const browser = await launchChromium();
try {
  const nodeH2c = await nodeClientPush(h2c);
  const nodeTls = await nodeClientPush(https);
  const afterNode = { ...counters };
  const chromium = await chromiumPush(browser, https);
  const result = {
    bench: 'server-push',
    command: 'npx tsx scripts/server-push.ts',
    at,
    machine: { cpus: os.cpus().length, loadavg: os.loadavg(), node: process.version },
    node: { h2c: nodeH2c, tls: nodeTls, serverCounters: afterNode },
    chromium: {
      ...chromium,
      serverCounters: {
        promised: counters.promised - afterNode.promised,
        refused: counters.refused - afterNode.refused,
        networkFetches: counters.networkFetches - afterNode.networkFetches,
      },
    },
  };
  const dir = join(ROOT, 'results', 'server-push');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${at.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`Node http2 client: answer ${JSON.stringify(nodeTls.answer)}, pushed ${JSON.stringify(nodeTls.pushed)}`);
  console.log(
    `Chromium ${chromium.version}: answer ${JSON.stringify(chromium.answer)}, fetch after: ${JSON.stringify(chromium.fetchAfter)}`,
  );
  console.log(`written: ${file}`);
} finally {
  await browser.close();
  await app.close();
  rmSync(certDir, { recursive: true, force: true });
}
process.exit(0);
