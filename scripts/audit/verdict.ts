/**
 * What `npm audit --omit=dev --audit-level=high --json` said, as a CI verdict:
 * - the audit ran: fail on any high or critical advisory for a runtime dependency, pass otherwise;
 * - the registry's audit service did not answer (a mirror or proxy that answers 405, a network
 *   error): say plainly that no audit happened, and go on — CI must not fail for that alone,
 *   nor claim an audit that never ran.
 */
export type AuditVerdict =
  | { kind: 'passed'; counts: Record<string, number> }
  | { kind: 'failed'; counts: Record<string, number> }
  | { kind: 'unavailable'; reason: string };

const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;

export function auditVerdict(stdout: string): AuditVerdict {
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    return {
      kind: 'unavailable',
      reason: `npm audit printed no JSON report (${stdout.trim().slice(0, 120) || 'nothing'})`,
    };
  }
  const metadata = report.metadata as { vulnerabilities?: Record<string, number> } | undefined;
  const vulnerabilities = metadata?.vulnerabilities;
  if (!vulnerabilities) {
    const message =
      (typeof report.message === 'string' && report.message) ||
      (report.error as { summary?: string } | undefined)?.summary ||
      'no vulnerability metadata in the report';
    return { kind: 'unavailable', reason: message };
  }
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, Number(vulnerabilities[s] ?? 0)]));
  const serious = (counts.high ?? 0) + (counts.critical ?? 0);
  return serious > 0 ? { kind: 'failed', counts } : { kind: 'passed', counts };
}
