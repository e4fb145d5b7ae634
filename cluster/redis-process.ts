/**
 * A private redis-server (Debian's /usr/bin/redis-server) on 127.0.0.1, its own port and a
 * temporary data directory, with persistence off: a restart comes back empty, as a failover to
 * an empty replica would, which is what the epoch-reset rule is about. Used by `npm run cluster`,
 * the scale-out scenario, the broker benchmark and the tests (which start their own).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisProcess {
  port: number;
  url: string;
  readonly pid: number | undefined;
  /** Stop (SIGTERM, then SIGKILL after 3 s) and wait for the exit. The data dir stays until `remove`. */
  stop(): Promise<void>;
  /** Start again on the same port and directory: empty, as persistence is off. */
  restart(): Promise<void>;
  /** Stop and delete the data directory. */
  remove(): Promise<void>;
}

export async function startRedis(
  options: { port?: number; dir?: string; binary?: string } = {},
): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'lab-redis-'));
  const binary = options.binary ?? REDIS_SERVER;
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    const started = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}: ${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout?.on('data', onData);
      started.stderr?.on('data', onData);
      started.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${binary}: ${error.message}`));
      });
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited ${code}: ${output}`));
      });
    });
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const killer = setTimeout(() => running.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(killer);
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return (child as ChildProcess | null)?.pid;
    },
    stop,
    async restart() {
      await stop();
      await launch();
    },
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
