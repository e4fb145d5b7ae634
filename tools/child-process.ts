/**
 * Servers in their own processes, the one launcher for the scenario runner (the server under test,
 * so its CPU time and memory are its own and never the runner's; the capacity phase's bare
 * baselines) and the tests (test/shutdown-restart.test.ts). A child is ready when it prints the line
 * `LISTENING` matches (server/main.ts prints it; so do the baselines).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The line a server prints once it listens: `… listening on http://host:port (epoch <epoch>)`. */
export const LISTENING = /listening on (http:\/\/\S+) \(epoch (\w+)\)/;
/** How long a child may take to listen; LAB_START_TIMEOUT_MS raises it on a machine busy with other work. */
const START_TIMEOUT_MS = Number(process.env.LAB_START_TIMEOUT_MS) || 60_000;
const OUTPUT_KEPT = 64_000;

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
  /** The last OUTPUT_KEPT characters the child printed, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM (default), wait for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; ms: number }>;
  readonly exited: boolean;
}

export interface LabServerOptions {
  retention?: number;
  /** Extra flags for server/main.ts (the ticker starts paused unless `paused: false`). */
  args?: string[];
  paused?: boolean;
  /** Node's own flags (the bench's `--expose-gc`, say). */
  nodeFlags?: string[];
  /** Modules loaded before the server, after tsx (so they may be TypeScript). */
  imports?: string[];
  /** Extra environment (e.g. CLASS_TOKEN for a classroom). */
  env?: Record<string, string>;
}

/** `node --import tsx server/main.ts --port 0 --paused`, ready once it listens. */
export function startLabServer(options: LabServerOptions = {}): Promise<ChildServer> {
  // No HTTPS port (it would be 3443 in every parallel run): a scenario that wants one asks for it.
  const preload = (options.imports ?? []).flatMap((module) => ['--import', module]);
  const args = [
    ...(options.nodeFlags ?? []),
    '--import',
    'tsx',
    ...preload,
    ...['server/main.ts', '--port', '0', '--https-port', '0'],
  ];
  if (options.paused !== false) args.push('--paused');
  if (options.retention !== undefined) args.push('--retention', String(options.retention));
  return startChild(args.concat(options.args ?? []), LISTENING, options.env ?? {});
}

/** Starts `node <args>` in the repository's root; resolves once it prints a line `ready` matches. */
export async function startChild(
  args: string[],
  ready: RegExp = LISTENING,
  env: Record<string, string> = {},
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
    let started = false;
    // Both pipes are read for the child's whole life (a chatty child would block on a full pipe);
    // the last OUTPUT_KEPT characters are kept, to find the line and to explain a failure.
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_KEPT);
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      const found = started ? null : ready.exec(output);
      if (found) {
        started = true;
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.stderr?.on('data', keep);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited ${code} before listening: ${output.slice(-2000)}`));
    });
  });
  const url = match[1] as string;
  return {
    child,
    pid: child.pid as number,
    url,
    port: Number(new URL(url).port),
    epoch: match[2] ?? '',
    output: () => output,
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
