/**
 * The server under test, in its own process (`node --import tsx server/main.ts --port 0
 * --paused`), so its CPU time and memory are its own and never the runner's. Also used for the
 * bare node:http baseline of the capacity phase.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const LISTENING = /listening on (http:\/\/\S+) \(epoch (\w+)\)/;
const START_TIMEOUT_MS = 20_000;

/** Children still running: killed if the runner exits first (a crash, Ctrl-C), never left behind. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface ChildServer {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  /** The feed's epoch at start (the baseline has none: ''). */
  readonly epoch: string;
  /** SIGTERM (default), wait for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; ms: number }>;
  readonly exited: boolean;
}

export interface LabServerOptions {
  retention?: number;
  /** Extra flags for server/main.ts. */
  args?: string[];
}

export function startLabServer(options: LabServerOptions = {}): Promise<ChildServer> {
  const args = ['--import', 'tsx', 'server/main.ts', '--port', '0', '--paused'];
  if (options.retention !== undefined) args.push('--retention', String(options.retention));
  return startChild(args.concat(options.args ?? []), LISTENING, {});
}

/** Starts a script that prints `listening on http://…` once ready. */
export async function startChild(
  args: string[],
  ready: RegExp,
  env: Record<string, string>,
  startTimeoutMs = START_TIMEOUT_MS,
): Promise<ChildServer> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      exitCode = code;
      resolve(code);
    }),
  );
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start within ${startTimeoutMs} ms: ${output.slice(-2000)}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer) => {
      // Keep only what is needed to find the line and explain a failure.
      output = (output + chunk.toString()).slice(-8_000);
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(found);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8_000);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited ${code} before listening: ${output.slice(-2000)}`));
    });
  });
  // Drain the pipes from now on, or a chatty child blocks on a full pipe.
  child.stdout?.resume();
  const url = match[1] as string;
  return {
    child,
    pid: child.pid as number,
    url,
    port: Number(new URL(url).port),
    epoch: match[2] ?? '',
    get exited() {
      return exitCode !== undefined;
    },
    async stop(signal = 'SIGTERM', graceMs = 8_000) {
      const started = performance.now();
      if (exitCode === undefined) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return { code: exitCode ?? null, ms: performance.now() - started };
    },
  };
}
