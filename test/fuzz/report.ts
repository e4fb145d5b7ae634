/**
 * What a fuzz run reports to `npm run fuzz` (scripts/fuzz/run.ts): when FUZZ_REPORT_DIR is set, each
 * fuzz test writes its tally there as `<name>.json` once every assertion held (a failing run writes
 * nothing: the script reads the failure from vitest's exit code).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FuzzReport {
  name: string;
  seed: number;
  /** fast-check samples × inputs per sample. */
  samples: number;
  perSample: number;
  inputs: number;
  /** Each answer and how often: a status / close code, `closed`, `open`, `dropped`. */
  answers: Record<string, number>;
  /** The bystander's feed over the run: messages received, and whether their seqs were gap-free. */
  bystander: { messages: number; gapFree: boolean };
  durationMs: number;
}

export function writeFuzzReport(report: FuzzReport): void {
  const dir = process.env.FUZZ_REPORT_DIR;
  if (dir) writeFileSync(join(dir, `${report.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
}
