// What the tests need from Debian, installed by the project itself (never a downloaded build):
// Chromium for the browser tests, a font for the PNG charts, redis-server for the Redis feed backend,
// HAProxy for the scale-out balancer, wrk and h2load (nghttp2-client) as outside load generators,
// curl for HTTP/2 checks, openssl for certificates, and Python's `websockets` as a second,
// non-JavaScript WebSocket client. apt-get runs only for what is missing, and only as root (CI, the lab
// machines); otherwise it says the command to run and fails.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const systemPackages = [
  { pkg: 'chromium', file: '/usr/bin/chromium' },
  { pkg: 'fonts-dejavu-core', file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf' },
  { pkg: 'redis-server', file: '/usr/bin/redis-server' },
  { pkg: 'haproxy', file: '/usr/sbin/haproxy' },
  { pkg: 'wrk', file: '/usr/bin/wrk' },
  { pkg: 'nghttp2-client', file: '/usr/bin/h2load' },
  { pkg: 'curl', file: '/usr/bin/curl' },
  { pkg: 'openssl', file: '/usr/bin/openssl' },
  { pkg: 'python3-websockets', file: '/usr/lib/python3/dist-packages/websockets/__init__.py' },
];

const missing = systemPackages.filter((need) => !existsSync(need.file)).map((need) => need.pkg);
if (missing.length > 0) {
  const command = `apt-get install -y -qq ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`Missing Debian packages: ${missing.join(', ')}. Run: sudo apt-get update && sudo ${command}`);
    process.exit(1);
  }
  console.error(`Installing Debian packages the tests need: ${missing.join(', ')} (once)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync(`apt-get update -qq && ${command}`, { stdio: 'inherit', env });
}
