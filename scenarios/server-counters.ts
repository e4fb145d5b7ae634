import type { TransportName } from '../contract/index.js';
import type { RemoteGroup } from './remote-group.js';
import { addCounters, type Counters, countersOf, type ServerApi, zeroCounters } from './server-api.js';

/**
 * The server's own accounting of each group, as a difference over the window, across restarts
 * (each process counts from zero). A transport with one group reads the transport's total; a
 * transport with several sums its clients' own `/api/stats?client=` entries.
 */
export class ServerCounters {
  private base = new Map<string, Counters>();
  private readonly sum = new Map<string, Counters>();

  constructor(private readonly groups: RemoteGroup[]) {}

  async begin(api: ServerApi): Promise<void> {
    this.base = await this.read(api);
  }

  /** Before a server goes away: bank what it counted; the next one starts from zero. */
  async retire(api: ServerApi): Promise<void> {
    this.bank(await this.read(api));
    this.base = new Map();
  }

  async end(api: ServerApi): Promise<Map<string, Counters>> {
    this.bank(await this.read(api));
    return this.sum;
  }

  private bank(reading: Map<string, Counters>): void {
    for (const [name, counters] of reading) {
      const delta = addCounters(counters, this.base.get(name) ?? zeroCounters(), -1);
      this.sum.set(name, addCounters(this.sum.get(name) ?? zeroCounters(), delta));
    }
  }

  private async read(api: ServerApi): Promise<Map<string, Counters>> {
    const perTransport = new Map<TransportName, number>();
    for (const g of this.groups) perTransport.set(g.spec.transport, (perTransport.get(g.spec.transport) ?? 0) + 1);
    const totals = await api.stats();
    const out = new Map<string, Counters>();
    for (const g of this.groups) {
      if (perTransport.get(g.spec.transport) === 1) {
        out.set(g.spec.name, countersOf(totals, g.spec.transport));
        continue;
      }
      let sum = zeroCounters();
      for (const batch of chunks(g.ids, 32)) {
        const stats = await Promise.all(batch.map((id) => api.stats(id)));
        for (const s of stats) sum = addCounters(sum, countersOf(s, g.spec.transport));
      }
      out.set(g.spec.name, sum);
    }
    return out;
  }
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
