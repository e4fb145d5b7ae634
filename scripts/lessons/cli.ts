/**
 * `npm run lessons`: renders docs/lessons/*.md into LESSONS.md and docs/lessons/answers/*.md into
 * docs/answers.md (scripts/lessons/render.ts). `npm run lessons -- --check` writes nothing and
 * exits 1 when a committed file differs from a fresh render.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BOOKS, placeholdersOf, ROOT, render } from './render.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const book of BOOKS) {
  const fresh = render(book);
  const path = `${ROOT}${book.output}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const count = placeholdersOf(book).length;
  if (current === fresh) {
    console.log(`${book.output}: up to date (${count} checked numbers)`);
  } else if (check) {
    stale++;
    console.log(`${book.output}: STALE — run npm run lessons`);
  } else {
    writeFileSync(path, fresh);
    console.log(`${book.output}: rendered (${count} checked numbers)`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
