// The browser tests drive Debian's Chromium (never a downloaded browser build). Installs it with
// apt-get when it is missing and we are root, as on CI and the lab machines; says what to do otherwise.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() !== 0) {
    console.error(`${CHROMIUM} is missing: run \`sudo apt-get install -y chromium\` (the browser tests need it).`);
    process.exit(1);
  }
  console.error(`${CHROMIUM} is missing: installing Debian's chromium (once)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync('apt-get update -qq && apt-get install -y -qq chromium', { stdio: 'inherit', env });
}
