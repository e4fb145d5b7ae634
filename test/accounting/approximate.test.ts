/**
 * Which way bytes out are counted is said, not hidden: `exact` where Node's socket internals are
 * there, `approximate` without them (docs/accounting.md, "Exact or approximate"). The fallback is
 * checked here by forcing it on a Node that has the internals.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHasSocketInternals } from '../../server/accounting/wire-meter.js';
import { startLabServer } from '../../tools/child-process.js';
import { startProxy } from '../../tools/tcp-proxy.js';
import { publish, type Running, startLab, until } from '../harness.js';
import { pollJson, ServerSockets, stats } from './wire.js';

let exact: Running;
let approximate: Running;

beforeAll(async () => {
  exact = await startLab();
  approximate = await startLab({ forceApproximateBytes: true });
});
afterAll(async () => {
  await exact?.close();
  await approximate?.close();
});

async function metricsOf(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

describe('the wire meter says which way it counts', () => {
  it('is exact on the Node the lab is tested on, and says so in /api/stats and /metrics', async () => {
    // The premise of the exact count: this Node has the internals (engines.node pins the major).
    expect(nodeHasSocketInternals()).toBe(true);
    expect((await stats(exact.url)).accounting).toBe('exact');
    expect(await metricsOf(exact.url)).toMatch(/^lab_wire_accounting_exact 1$/m);
  });

  it('forced onto the fallback, says approximate, and still equals a TCP proxy once the socket is idle', async () => {
    expect((await stats(approximate.url)).accounting).toBe('approximate');
    expect(await metricsOf(approximate.url)).toMatch(/^lab_wire_accounting_exact 0$/m);

    const sockets = new ServerSockets(approximate.app);
    const proxy = await startProxy({ upstreamPort: approximate.port });
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const base = `${proxy.url}/api/poll?client=approx`;
      const first = await pollJson(base, agent);
      await publish(approximate.url, { n: 1 });
      await publish(approximate.url, { n: 2 });
      const second = await pollJson(`${base}&since=${first.head}&epoch=${first.epoch}`, agent);
      expect(second.messages).toHaveLength(2);
      agent.destroy();
      await sockets.allClosed(proxy);
      const mine = (await stats(approximate.url, 'approx')).transports['short-poll'];
      expect({ bytesIn: mine.bytesIn, bytesOut: mine.bytesOut }).toEqual({
        bytesIn: proxy.totals.clientToServer,
        bytesOut: proxy.totals.serverToClient,
      });
      expect(mine.messages).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('warns at start-up when it counts approximately', async () => {
    const server = await startLabServer({ args: ['--approximate-bytes'] });
    try {
      // stderr and stdout are two pipes: the warning may arrive just after the listening line.
      await until(() => server.output().includes('WARNING: bytes out'), 10_000, 'the warning');
      expect(server.output()).toMatch(/WARNING: bytes out are counted approximately.*docs\/accounting\.md/);
    } finally {
      await server.stop();
    }
  });
});
