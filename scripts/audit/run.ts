/**
 * CI's dependency audit: `npm audit --omit=dev --audit-level=high`, judged by ./verdict.ts.
 * Exit 1 on a high or critical advisory; exit 0 (with a clear line) when the audit service
 * does not answer.
 */
import { spawnSync } from 'node:child_process';
import { auditVerdict } from './verdict.js';

const result = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], {
  encoding: 'utf8',
  timeout: 120_000,
});
const verdict = auditVerdict(result.stdout ?? '');
switch (verdict.kind) {
  case 'passed':
    console.log(`npm audit: no high or critical advisory in runtime dependencies (${JSON.stringify(verdict.counts)})`);
    break;
  case 'failed':
    console.error(
      `npm audit: FAILED, high or critical advisories in runtime dependencies ${JSON.stringify(verdict.counts)}`,
    );
    spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high'], { stdio: 'inherit' });
    process.exit(1);
    break;
  case 'unavailable':
    console.log(
      `npm audit could NOT run: the registry's audit service did not answer (${verdict.reason}). No audit was done; going on.`,
    );
    break;
}
