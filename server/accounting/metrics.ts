/**
 * `GET /metrics` in Prometheus text format: the ledger's counters, open connections and the
 * event-loop delay. One prom-client Registry per app, so two apps in one process never collide.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { TRANSPORTS, type TransportCounters } from '../../contract/index.js';
import type { Lab } from '../lab.js';
import { ScrapedLoopDelay } from './loop-delay.js';

type CounterField = Exclude<keyof TransportCounters, 'connections'>;

const COUNTERS: Record<CounterField, string> = {
  requests: 'HTTP requests received (SSE request and WebSocket upgrade included)',
  emptyResponses: 'poll and long-poll answers that carried no message',
  messages: 'feed messages delivered',
  payloadBytes: 'message JSON bytes delivered',
  resets: 'reset notices sent (a cursor that could not be honoured exactly)',
  bytesIn: 'bytes read from clients at the TCP socket',
  bytesOut: 'bytes written to clients at the TCP socket',
};

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function createMetrics(lab: Lab): { registry: Registry; stop: () => void } {
  const registry = new Registry();
  const loopDelay = new ScrapedLoopDelay();

  for (const [field, help] of Object.entries(COUNTERS) as [CounterField, string][]) {
    // Counters only go up; each scrape adds what the ledger gained since the last one.
    const seen = new Map<string, number>();
    new Counter({
      name: `lab_${snake(field)}_total`,
      help,
      labelNames: ['transport'],
      registers: [registry],
      collect() {
        lab.accounting.settleAll();
        const totals = lab.accounting.ledger.read();
        for (const transport of TRANSPORTS) {
          const value = totals[transport][field];
          const gained = value - (seen.get(transport) ?? 0);
          // The ledger only grows; should it ever not, a scrape must still answer (prom-client
          // throws on a negative inc, which would fail every scrape until the ledger caught up).
          if (gained < 0) continue;
          this.inc({ transport }, gained);
          seen.set(transport, value);
        }
      },
    });
  }
  new Gauge({
    name: 'lab_connections',
    help: 'open WebSockets, SSE streams and held long polls',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      const totals = lab.accounting.ledger.read();
      for (const transport of TRANSPORTS) this.set({ transport }, totals[transport].connections);
    },
  });
  new Gauge({
    name: 'lab_wire_accounting_exact',
    help: '1 when bytes out are what the kernel accepted (exact), 0 when approximate (docs/accounting.md)',
    registers: [registry],
    collect() {
      this.set(lab.accounting.meter.mode === 'exact' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lab_tcp_sockets',
    help: 'TCP sockets open to the server',
    registers: [registry],
    collect() {
      this.set(lab.accounting.meter.openSockets + lab.accounting.sessions.openConnections);
    },
  });
  new Gauge({
    name: 'lab_feed_head',
    help: 'seq of the newest feed message',
    registers: [registry],
    collect() {
      this.set(lab.feed.head);
    },
  });
  new Gauge({
    name: 'lab_event_loop_delay_seconds',
    help: 'event-loop delay since the last scrape (none at the first scrape: it is sampled only while scraped)',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      const reading = loopDelay.read();
      if (reading === null) this.reset();
      else for (const [quantile, seconds] of reading.quantiles) this.set({ quantile }, seconds);
    },
  });
  return { registry, stop: () => loopDelay.stop() };
}
