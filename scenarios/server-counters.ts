import type { ControlClient } from '../client/control.js';
import type { StatsResponse, TransportCounters, TransportName } from '../contract/index.js';
import type { RemoteGroup } from './remote-group.js';

/**
 * The server's own accounting of each group, as a difference over the window, across restarts
 * (each process counts from zero). A transport with one group reads the transport's total; a
 * transport with several sums its clients' own `/api/stats?client=` entries.
 */
export class ServerCounters {
  private base = new Map<string, Counters>();
  private readonly sum = new Map<string, Counters>();

  constructor(private readonly groups: RemoteGroup[]) {}

  async begin(api: ControlClient): Promise<void> {
    this.base = await this.read(api);
  }

  /** Before a server goes away: bank what it counted; the next one starts from zero. */
  async retire(api: ControlClient): Promise<void> {
    this.bank(await this.read(api));
    this.base = new Map();
  }

  async end(api: ControlClient): Promise<Map<string, Counters>> {
    this.bank(await this.read(api));
    return this.sum;
  }

  private bank(reading: Map<string, Counters>): void {
    for (const [name, counters] of reading) {
      const delta = addCounters(counters, this.base.get(name) ?? zeroCounters(), -1);
      this.sum.set(name, addCounters(this.sum.get(name) ?? zeroCounters(), delta));
    }
  }

  private async read(api: ControlClient): Promise<Map<string, Counters>> {
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

export type Counters = Pick<
  TransportCounters,
  'requests' | 'emptyResponses' | 'messages' | 'payloadBytes' | 'bytesIn' | 'bytesOut'
>;

export function zeroCounters(): Counters {
  return { requests: 0, emptyResponses: 0, messages: 0, payloadBytes: 0, bytesIn: 0, bytesOut: 0 };
}

export function countersOf(stats: StatsResponse, transport: TransportName): Counters {
  const t = stats.transports[transport];
  return {
    requests: t.requests,
    emptyResponses: t.emptyResponses,
    messages: t.messages,
    payloadBytes: t.payloadBytes,
    bytesIn: t.bytesIn,
    bytesOut: t.bytesOut,
  };
}

export function addCounters(a: Counters, b: Counters, sign = 1): Counters {
  const out = zeroCounters();
  for (const key of Object.keys(out) as (keyof Counters)[]) out[key] = a[key] + sign * b[key];
  return out;
}
