// Builds the dashboard into web/dist: web/src/main.ts (and the class view, web/src/class/main.ts) bundled by esbuild (chart.js from npm, no CDN),
// beside web/index.html and web/style.css. `npm start` runs this first, so it serves what it built.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const web = fileURLToPath(new URL('../web/', import.meta.url));
const dist = `${web}dist/`;
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const file of ['index.html', 'class.html', 'style.css']) {
  if (existsSync(`${web}${file}`)) copyFileSync(`${web}${file}`, `${dist}${file}`);
}
// Two pages: the dashboard (main.js) and the classroom's class view (class.js).
await build({
  entryPoints: { main: `${web}src/main.ts`, class: `${web}src/class/main.ts` },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  outdir: dist,
  logLevel: 'warning',
});
console.log(`dashboard built into ${dist}`);
