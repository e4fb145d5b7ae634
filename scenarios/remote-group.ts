/**
 * The runner's handle on a client group living in its own worker thread (group-worker.ts):
 * the same operations as a ClientGroup, as promises.
 */
import { Worker } from 'node:worker_threads';
import type { Cursor } from '../client/transports/index.js';
import type { FetchChoice, GroupResult, GroupSnapshot } from './clients/group.js';
import { clientId, type GroupSpec } from './define.js';
import type { EpochRange } from './feed-window.js';
import type { GroupHandlers, GroupMethod, GroupRequest, GroupWorkerData } from './group-worker.js';

const BOOT = new URL('./group-worker-boot.mjs', import.meta.url);

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class RemoteGroup {
  readonly ids: string[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  private constructor(
    readonly spec: GroupSpec,
    private readonly worker: Worker,
  ) {
    this.ids = Array.from({ length: spec.count }, (_, i) => clientId(spec, i));
    worker.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
      if (message.id === undefined) return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) pending.reject(new Error(`${spec.name} worker: ${message.error}`));
      else pending.resolve(message.result);
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`${spec.name} worker exited (${code})`)));
  }

  /** Starts the worker: its proxy listens and its clients exist (not yet started). */
  static start(spec: GroupSpec, upstreamPort: number, startCursor: Cursor, fetch: FetchChoice): Promise<RemoteGroup> {
    const data: GroupWorkerData = { spec, upstreamPort, startCursor, fetch };
    const worker = new Worker(BOOT, { workerData: data });
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      worker.once('error', onError);
      worker.once('exit', (code) => reject(new Error(`${spec.name} worker exited (${code}) before it was ready`)));
      worker.once('message', () => {
        worker.off('error', onError);
        worker.removeAllListeners('exit');
        resolve(new RemoteGroup(spec, worker));
      });
    });
  }

  start(): Promise<void> {
    return this.call('start');
  }

  stop(): Promise<void> {
    return this.call('stop');
  }

  markFault(at: number): Promise<void> {
    return this.call('markFault', at);
  }

  measuring(on: boolean): Promise<void> {
    return this.call('measuring', on);
  }

  destroyAll(): Promise<number> {
    return this.call('destroyAll');
  }

  setUpstream(port: number): Promise<void> {
    return this.call('setUpstream', port);
  }

  snapshot(): Promise<GroupSnapshot> {
    return this.call('snapshot');
  }

  caughtUp(epoch: string, head: number): Promise<boolean> {
    return this.call('caughtUp', epoch, head);
  }

  openClients(): Promise<number> {
    return this.call('openClients');
  }

  result(ranges: EpochRange[], startedAt: number, countFrom: number, countTo: number): Promise<GroupResult> {
    return this.call('result', ranges, startedAt, countFrom, countTo);
  }

  /** Stops the clients, closes the proxy, ends the thread. */
  async close(): Promise<void> {
    if (this.failure === null) await this.call('close').catch(() => undefined);
    await this.worker.terminate();
  }

  /** Calls a handler of the worker's table (group-worker.ts): its name, arguments and result are typed from it. */
  private call<M extends GroupMethod>(
    method: M,
    ...args: Parameters<GroupHandlers[M]>
  ): Promise<Awaited<ReturnType<GroupHandlers[M]>>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      // The worker answers this id with the handler's own result (structured-cloned).
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies GroupRequest<M>);
    });
  }
}
