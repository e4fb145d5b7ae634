// What the tests need from Debian, installed by the project itself: Chromium for the browser tests
// (never a downloaded browser build) and a font for the PNG charts. apt-get runs only for what is
// missing, and only as root (CI, the lab machines); otherwise it says the command to run.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { pkg: 'chromium', present: existsSync('/usr/bin/chromium') },
  { pkg: 'fonts-dejavu-core', present: existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf') },
];
const missing = needs.filter((need) => !need.present).map((need) => need.pkg);
if (missing.length > 0) {
  const command = `apt-get install -y -qq ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`Missing Debian packages: ${missing.join(', ')}. Run: sudo ${command}`);
    process.exit(1);
  }
  console.error(`Installing Debian packages the tests need: ${missing.join(', ')} (once)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync(`apt-get update -qq && ${command}`, { stdio: 'inherit', env });
}
