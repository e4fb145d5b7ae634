/**
 * Polls per second from outside Node: Debian's `wrk` (C, one thread), so the load generator is
 * not a Node client competing for the same event-loop design. Its CPU is what this process's
 * reaped children cost meanwhile (`cutime + cstime` in /proc/self/stat): wrk is the only child
 * that exits during a run.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface WrkRun {
  requests: number;
  seconds: number;
  errors: number;
  cpuMs: number;
}

const WRK = '/usr/bin/wrk';

function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): cutime (16) and cstime (17) are at 13 and 14, in clock ticks (100/s).
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

export function parseWrk(output: string): Omit<WrkRun, 'cpuMs'> {
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(output);
  if (!total) throw new Error(`wrk printed no request count:\n${output}`);
  const unit = total[3];
  const value = Number(total[2]);
  const seconds = unit === 'ms' ? value / 1000 : unit === 'm' ? value * 60 : value;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { requests: Number(total[1]), seconds, errors: non2xx + socketErrors };
}

export function runWrk(url: string, connections: number, durationS: number): Promise<WrkRun> {
  const before = childrenCpuMs();
  return new Promise((resolve, reject) => {
    execFile(WRK, ['-t1', `-c${connections}`, `-d${durationS}s`, url], (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk failed: ${error.message}\n${stderr}`));
      try {
        resolve({ ...parseWrk(stdout), cpuMs: childrenCpuMs() - before });
      } catch (parseError) {
        reject(parseError);
      }
    });
  });
}
