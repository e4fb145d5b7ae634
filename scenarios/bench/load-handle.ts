/** The benchmark's side of a load-client process (load-client.ts): fork it, send commands, await answers. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadCommand, LoadResult, LoadTransport } from './load-client.js';

const SCRIPT = fileURLToPath(new URL('./load-client.ts', import.meta.url));

export class LoadClient {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<LoadClient> {
    const child = fork(SCRIPT, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`load client exited ${code} before it was ready`)));
    });
    child.removeAllListeners('exit');
    return new LoadClient(child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  private ask<T>(command: LoadCommand): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: { cmd: string; value: T }) => {
        if (message.cmd !== command.cmd) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(message.value);
      };
      const onExit = (code: number | null) => reject(new Error(`load client exited ${code} during ${command.cmd}`));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }

  /**
   * Opens `count` clients (ids `bench-<firstId>` on), beside those already open; resolves with the
   * errors so far once every one is connected (or failed).
   */
  open(transport: LoadTransport, url: string, count: number, since: number, firstId = 0): Promise<number> {
    return this.ask({ cmd: 'open', transport, url, count, since, firstId });
  }

  measure(): Promise<boolean> {
    return this.ask({ cmd: 'measure' });
  }

  result(): Promise<LoadResult> {
    return this.ask({ cmd: 'result' });
  }

  close(): Promise<boolean> {
    return this.ask({ cmd: 'close' });
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}
