/** The machine a run was measured on, as every summary records it (scenarios, bench, class exports). */
import os from 'node:os';
import type { Summary } from './summary.js';

export function machineInfo(): Summary['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemBytes: os.totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}
