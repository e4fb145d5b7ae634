/**
 * CPU time and memory of another process, read from Linux's /proc (Linux only: README.md, "Platform"):
 * `/proc/<pid>/stat` utime + stime (every thread: JS, GC, libuv) in clock ticks, and
 * `/proc/<pid>/status` VmRSS (resident now) and VmHWM (the peak the kernel saw).
 *
 * Ticks are 10 ms at the usual CLK_TCK of 100, so a phase's CPU is good to about ±10 ms: read
 * per-message figures over phases of seconds, not milliseconds.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcSample {
  cpuMs: number;
  rssBytes: number;
  hwmBytes: number;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User and system CPU, ms. */
export interface CpuSplit {
  userMs: number;
  systemMs: number;
}

/** User and system CPU of one `/proc/…/stat` line (a process's or a thread's), ms. */
function statCpuSplit(stat: string): CpuSplit {
  // The command name is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  const ms = (ticks: string | undefined) => (Number(ticks) * 1000) / clockTicks();
  return { userMs: ms(fields[11]), systemMs: ms(fields[12]) };
}

/** User + system CPU of one `/proc/…/stat` line, ms. */
function statCpuMs(stat: string): number {
  const { userMs, systemMs } = statCpuSplit(stat);
  return userMs + systemMs;
}

/** One reading, or null once the process is gone. */
export function readProc(pid: number): ProcSample | null {
  try {
    const cpuMs = statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuMs, rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** A process's user and system CPU (every thread), or null once it is gone. */
export function readProcCpuSplit(pid: number): CpuSplit | null {
  try {
    return statCpuSplit(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

export interface PhaseCost {
  cpuMs: number;
  rssMaxBytes: number;
}

/**
 * Follows the server across restarts (a new pid each time) and adds up its CPU per phase.
 * RSS is sampled every `intervalMs`; the phase's maximum is reported.
 */
export class ProcMeter {
  private pid: number | null = null;
  /** CPU of earlier processes (before a restart), as last read. */
  private retiredCpuMs = 0;
  private lastCpuMs = 0;
  private phaseStartCpuMs = 0;
  private phaseRssMax = 0;
  private runRssMax = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(intervalMs = 200) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Measure this process from now on (the first, or the one after a restart). */
  follow(pid: number): void {
    if (this.pid !== null) {
      this.sample();
      this.retiredCpuMs += this.lastCpuMs;
    }
    this.pid = pid;
    this.lastCpuMs = 0;
    this.sample();
  }

  /** Total CPU so far over every process followed. */
  get cpuMs(): number {
    this.sample();
    return this.retiredCpuMs + this.lastCpuMs;
  }

  /** The highest RSS sampled since the meter started. */
  get rssMaxBytes(): number {
    return this.runRssMax;
  }

  startPhase(): void {
    this.phaseStartCpuMs = this.cpuMs;
    this.phaseRssMax = 0;
    this.sample();
  }

  endPhase(): PhaseCost {
    const cpuMs = this.cpuMs - this.phaseStartCpuMs;
    return { cpuMs, rssMaxBytes: this.phaseRssMax };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    if (this.pid === null) return;
    const s = readProc(this.pid);
    if (s === null) return;
    this.lastCpuMs = s.cpuMs;
    this.phaseRssMax = Math.max(this.phaseRssMax, s.rssBytes);
    this.runRssMax = Math.max(this.runRssMax, s.rssBytes, s.hwmBytes);
  }
}

/**
 * CPU per thread of another process, summed by thread name (`/proc/<pid>/task/<tid>/stat`): where a
 * process's CPU goes besides its JavaScript thread (V8's GC and compiler helpers, libuv's pool). Ms,
 * or an empty map once the process is gone.
 */
export function readThreadsCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, split] of readThreadsCpuSplitMs(pid)) out.set(name, split.userMs + split.systemMs);
  return out;
}

/** readThreadsCpuMs, user and system CPU apart: whose CPU is the kernel's (system calls) and whose JavaScript's. */
export function readThreadsCpuSplitMs(pid: number): Map<string, CpuSplit> {
  const out = new Map<string, CpuSplit>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const { userMs, systemMs } = statCpuSplit(stat);
      // The JS thread is the one whose tid is the pid; name it so.
      const key = tid === String(pid) ? 'main (JS)' : name;
      const sum = out.get(key) ?? { userMs: 0, systemMs: 0 };
      out.set(key, { userMs: sum.userMs + userMs, systemMs: sum.systemMs + systemMs });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * A process's system-call and scheduling counts (`/proc/<pid>/io` syscr/syscw: read and write calls;
 * `/proc/<pid>/status`: voluntary and involuntary context switches, every thread summed by the
 * kernel for the process's main entry only, so read them as the JS thread's), or null once it is gone.
 */
export function readProcCounts(
  pid: number,
): { readCalls: number; writeCalls: number; voluntarySwitches: number; involuntarySwitches: number } | null {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const num = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return {
      readCalls: num(io, 'syscr'),
      writeCalls: num(io, 'syscw'),
      voluntarySwitches: num(status, 'voluntary_ctxt_switches'),
      involuntarySwitches: num(status, 'nonvoluntary_ctxt_switches'),
    };
  } catch {
    return null;
  }
}

/** Every thread of `pid` onto one core (taskset, util-linux): the benchmarks' like-with-like placement. */
export function pinToCore(pid: number | undefined, core: number): void {
  if (pid === undefined) throw new Error('cannot pin a process without a pid');
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}
