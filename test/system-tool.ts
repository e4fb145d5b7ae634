// A test that needs a program from Debian finds it here, or fails with the command that installs it.
// It never skips: `npm test`'s pretest (scripts/ensure-system-packages.mjs) installs these as root.
import { existsSync } from 'node:fs';

const tools = {
  chromium: { file: '/usr/bin/chromium', pkg: 'chromium' },
  'redis-server': { file: '/usr/bin/redis-server', pkg: 'redis-server' },
  haproxy: { file: '/usr/sbin/haproxy', pkg: 'haproxy' },
  wrk: { file: '/usr/bin/wrk', pkg: 'wrk' },
  h2load: { file: '/usr/bin/h2load', pkg: 'nghttp2-client' },
  curl: { file: '/usr/bin/curl', pkg: 'curl' },
  openssl: { file: '/usr/bin/openssl', pkg: 'openssl' },
  python3: { file: '/usr/bin/python3', pkg: 'python3' },
  // Only the background-tab measurement (scripts/background-tab/run.ts): a tab is hidden only in a headed browser.
  'xvfb-run': { file: '/usr/bin/xvfb-run', pkg: 'xvfb' },
  'python3-websockets': { file: '/usr/lib/python3/dist-packages/websockets/__init__.py', pkg: 'python3-websockets' },
} as const;

export type SystemTool = keyof typeof tools;

/** The tool's path; throws with the install command when it is missing. */
export function requireSystemTool(name: SystemTool): string {
  const tool = tools[name];
  if (!existsSync(tool.file)) {
    throw new Error(`${name} is missing (${tool.file}). Install it: apt-get update && apt-get install -y ${tool.pkg}`);
  }
  return tool.file;
}
