// Builds the dashboard into web/dist: web/src/main.ts bundled by esbuild (chart.js from npm, no CDN),
// beside web/index.html and web/style.css. `npm start` runs this first, so it serves what it built.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const web = fileURLToPath(new URL('../web/', import.meta.url));
const dist = `${web}dist/`;
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const file of ['index.html', 'style.css']) {
  if (existsSync(`${web}${file}`)) copyFileSync(`${web}${file}`, `${dist}${file}`);
}
/**
 * hdr-histogram-js looks for Node's zlib with `eval('require("zlib")…')` (falling back to pako
 * when that throws). In a browser it always throws, but only after the page's Content-Security-
 * Policy refused the eval — a CSP violation on every load unless the policy allowed
 * 'unsafe-eval'. The bundle gets a plain `throw` in its place: same fallback, no eval at all.
 * The build fails if the library's code changed and the shim no longer matches.
 */
const ZLIB_EVAL = /eval\('require\("zlib"\)\.(deflateSync|inflateSync)'\)/g;
const noEvalForZlib = {
  name: 'no-eval-for-zlib',
  setup(builder) {
    builder.onLoad({ filter: /hdr-histogram-js[\\/]dist[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('eval(')) return undefined;
      const replaced = source.replace(
        ZLIB_EVAL,
        (_, fn) => `(() => { throw new Error('no zlib.${fn} in a browser'); })()`,
      );
      if (replaced.includes('eval(')) throw new Error(`no-eval-for-zlib: an eval left in ${args.path}`);
      return { contents: replaced, loader: 'js' };
    });
  },
};

await build({
  plugins: [noEvalForZlib],
  entryPoints: [`${web}src/main.ts`],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  outfile: `${dist}main.js`,
  logLevel: 'warning',
});
// The Content-Security-Policy has no 'unsafe-eval': nothing in the bundle may need it.
const bundle = readFileSync(`${dist}main.js`, 'utf8');
for (const pattern of [/\beval\(/, /new Function\(/]) {
  if (pattern.test(bundle)) throw new Error(`web/dist/main.js calls ${pattern.source}: the CSP forbids it`);
}
console.log(`dashboard built into ${dist}`);
