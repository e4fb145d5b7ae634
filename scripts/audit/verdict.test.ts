import { describe, expect, it } from 'vitest';
import { auditVerdict } from './verdict.js';

const report = (vulnerabilities: Record<string, number>) =>
  JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities } });

describe('the CI audit verdict', () => {
  it('fails on a high or a critical advisory', () => {
    expect(auditVerdict(report({ high: 1, critical: 0 })).kind).toBe('failed');
    expect(auditVerdict(report({ high: 0, critical: 2 })).kind).toBe('failed');
  });

  it('passes with only low and moderate ones', () => {
    expect(auditVerdict(report({ low: 3, moderate: 1, high: 0, critical: 0 }))).toEqual({
      kind: 'passed',
      counts: { info: 0, low: 3, moderate: 1, high: 0, critical: 0 },
    });
  });

  it("says the audit could not run when the registry answers 405 (this machine's mirror)", () => {
    // What `npm audit --json` printed here, verbatim in its shape.
    const answered405 = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      method: 'POST',
      statusCode: 405,
      body: '',
      error: { summary: '', detail: '' },
    });
    const verdict = auditVerdict(answered405);
    expect(verdict.kind).toBe('unavailable');
    expect(verdict.kind === 'unavailable' && verdict.reason).toMatch(/405 Method Not Allowed/);
  });

  it('says the same when npm printed nothing usable', () => {
    expect(auditVerdict('').kind).toBe('unavailable');
    expect(auditVerdict('npm error network').kind).toBe('unavailable');
  });
});
