/**
 * Debian's Chromium, headless, as every browser test launches it (never a downloaded build). The
 * flags keep it off the network it cannot reach here (background networking, component updates,
 * sync, QUIC) and make it run as root in a container (no sandbox, no GPU).
 */
import { type Browser, chromium } from 'playwright-core';
import { requireSystemTool } from '../system-tool.js';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireSystemTool('chromium'),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
