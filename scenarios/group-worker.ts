/**
 * A worker thread that hosts one client group and its counting proxy (clients/group.ts,
 * tcp-proxy.ts). Each group gets an event loop of its own, so one transport's client-side work
 * (say, ten long polls parsing answers and asking again) never delays another transport's
 * deliveries in the measurement: the transports share the machine as separate programs would,
 * through the OS scheduler, not through one JavaScript queue.
 *
 * The runner drives it by messages: `{id, method, args}` → `{id, result}` or `{id, error}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Cursor } from '../client/transports/index.js';
import { startProxy } from '../tools/tcp-proxy.js';
import { ClientGroup, type FetchChoice } from './clients/group.js';
import type { GroupSpec } from './define.js';
import type { EpochRange } from './feed-window.js';

export interface GroupWorkerData {
  spec: GroupSpec;
  upstreamPort: number;
  startCursor: Cursor;
  fetch: FetchChoice;
}

/** The worker's handler table, as a type: what remote-group.ts may call, with which arguments, for what result. */
export type GroupHandlers = ReturnType<typeof handlers>;
export type GroupMethod = keyof GroupHandlers;

export interface GroupRequest<M extends GroupMethod = GroupMethod> {
  id: number;
  method: M;
  args: Parameters<GroupHandlers[M]>;
}

const port = parentPort;
if (!port) throw new Error('group-worker.ts runs as a worker thread');
const { spec, upstreamPort, startCursor, fetch } = workerData as GroupWorkerData;
// The group's network, shaped in its own proxy; seeded by the group's name, so a run repeats.
const seed = [...spec.name].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7);
const proxy = await startProxy({ upstreamPort, network: spec.network, seed });
const group = new ClientGroup(spec, proxy, startCursor, fetch);

function handlers() {
  return {
    start: () => group.start(),
    stop: () => group.stop(),
    markFault: (at: number) => group.markFault(at),
    measuring: (on: boolean) => group.measuring(on),
    destroyAll: () => proxy.destroyAll(),
    setUpstream: (upstream: number) => proxy.setUpstream(upstream),
    snapshot: () => group.snapshot(),
    caughtUp: (epoch: string, head: number) => group.caughtUp(epoch, head),
    openClients: () => group.openClients,
    result: (ranges: EpochRange[], startedAt: number, countFrom: number, countTo: number) =>
      group.result(ranges, startedAt, countFrom, countTo),
    close: async () => {
      group.stop();
      await proxy.close();
    },
  };
}

const methods = handlers() as Record<string, (...args: unknown[]) => unknown>;
port.on('message', async (request: GroupRequest) => {
  try {
    const method = methods[request.method];
    if (!method) throw new Error(`no method ${request.method}`);
    // The arguments were typed against this table by remote-group.ts's `call`.
    port.postMessage({ id: request.id, result: await method(...(request.args as unknown[])) });
  } catch (error) {
    port.postMessage({ id: request.id, error: (error as Error).stack ?? String(error) });
  }
});
port.postMessage({ ready: true });
