/**
 * The faults of a scenario, injected while measuring: a cut (at the group proxies, both sides,
 * or by the server's own `POST /api/clients/<id>/cut`) or a restart (the next server first,
 * then the old one paused and stopped; the proxies follow to the new port).
 */

import { ControlClient } from '../client/control.js';
import type { FaultDef } from './define.js';
import type { FeedWindow } from './feed-window.js';
import type { LabUnderTest } from './lab-under-test.js';
import type { Progress } from './progress.js';
import type { RemoteGroup } from './remote-group.js';
import { chunks, type ServerCounters } from './server-counters.js';

const now = () => performance.timeOrigin + performance.now();

export interface FaultContext {
  lab: LabUnderTest;
  groups: RemoteGroup[];
  window: FeedWindow;
  server: ServerCounters;
  progress: Progress;
  configure: (api: ControlClient) => Promise<unknown>;
  pauseFeed: (api: ControlClient) => Promise<{ epoch: string; head: number }>;
  startFeed: (api: ControlClient) => Promise<void>;
}

export async function inject(fault: FaultDef, ctx: FaultContext): Promise<void> {
  const { lab, groups, progress } = ctx;
  if (fault.kind === 'cut') {
    const targets = groups.filter((g) => fault.groups === undefined || fault.groups.includes(g.spec.name));
    const at = now();
    await Promise.all(targets.map((g) => g.markFault(at)));
    if (fault.via === 'proxy') {
      const cut = (await Promise.all(targets.map((g) => g.destroyAll()))).reduce((a, b) => a + b, 0);
      progress.log(`fault at ${fault.atMs} ms: cut ${cut} connections at the proxies`);
    } else {
      let cut = 0;
      for (const batch of chunks(
        targets.flatMap((g) => g.ids),
        32,
      )) {
        const answers = await Promise.all(batch.map((id) => lab.api.cut(id)));
        cut += answers.reduce((sum, a) => sum + a.socketsCut, 0);
      }
      progress.log(`fault at ${fault.atMs} ms: the server cut ${cut} sockets (POST /api/clients/<id>/cut)`);
    }
    return;
  }
  // Restart: the next process is up and configured before the old one goes, then the feed
  // moves over; everything the old one published but did not deliver is gone with it.
  const next = await lab.spawnNext();
  const old = lab.api;
  const nextApi = new ControlClient(next.url);
  await ctx.configure(nextApi);
  const last = await ctx.pauseFeed(old);
  ctx.window.close(last.epoch, last.head);
  await ctx.server.retire(old);
  const at = now();
  await Promise.all(groups.map((g) => g.markFault(at)));
  ctx.window.openEpoch(next.epoch);
  await lab.handOver(next);
  await ctx.startFeed(nextApi);
  progress.log(
    `fault at ${fault.atMs} ms: restarted the server (epoch ${last.epoch} → ${next.epoch}, old head ${last.head})`,
  );
}
