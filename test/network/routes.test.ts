/**
 * `GET /api/networks` and the on-demand listeners the dashboard's lanes connect through
 * (server/networks.ts): bad names and parameters are refused with a stable code and what is
 * valid; a listener shapes, and its traffic is counted at the server's socket for its client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../contract/index.js';
import { NETWORK_NAMES, type NetworksResponse } from '../../contract/networks.js';
import type { NetworkListener } from '../../server/networks.js';
import { publish, type Running, startLab } from '../harness.js';

let lab: Running;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

describe('/api/networks', () => {
  it('lists every profile with its parameters and source', async () => {
    const body = (await (await fetch(`${lab.url}/api/networks`)).json()) as NetworksResponse;
    expect(body.profiles.map((p) => p.name)).toEqual(NETWORK_NAMES);
    const threeG = body.profiles.find((p) => p.name === '3g');
    expect(threeG).toMatchObject({ rttMs: 150, downKbps: 1_600, upKbps: 750, retransmitTimeoutMs: 300 });
    expect(threeG?.source).toMatch(/Lighthouse/);
    for (const name of [
      'loopback',
      'lan',
      'broadband',
      '4g',
      '3g',
      'slow-3g',
      'satellite',
      'lossy-wifi',
      'buffering-proxy',
      'idle-cut-proxy',
    ])
      expect(NETWORK_NAMES).toContain(name);
  });

  it('refuses an unknown profile and an out-of-range parameter with 400 LAB_BAD_NETWORK, listing what is valid', async () => {
    const unknown = await fetch(`${lab.url}/api/networks/5g/listener`, { method: 'POST' });
    expect(unknown.status).toBe(400);
    const a = (await unknown.json()) as { code: string; message: string };
    expect(a.code).toBe(ERROR_CODES.badNetwork);
    expect(a.message).toContain('loopback, lan, broadband, 4g, 3g');

    const range = await fetch(`${lab.url}/api/networks/3g/listener?rttMs=99999`, { method: 'POST' });
    expect(range.status).toBe(400);
    const b = (await range.json()) as { code: string; message: string };
    expect(b.code).toBe(ERROR_CODES.badNetwork);
    expect(b.message).toMatch(/rttMs must be a number within 0…5000/);
  });

  it('starts one listener per profile; a client through it is shaped, allowed from the lab page, and counted as before', async () => {
    const start = async () =>
      (await (await fetch(`${lab.url}/api/networks/4g/listener`, { method: 'POST' })).json()) as NetworkListener;
    const first = await start();
    const again = await start();
    expect(again.port).toBe(first.port);
    expect(first.network).toMatchObject({ name: '4g', rttMs: 70 });

    const origin = lab.url; // the dashboard's own page
    const t0 = performance.now();
    const answer = await fetch(`http://127.0.0.1:${first.port}/api/poll?client=net-route`, { headers: { origin } });
    const elapsed = performance.now() - t0;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
    await answer.text();
    // A new connection and one request: at least two round trips of 70 ms (handshake is not shaped: one).
    expect(elapsed).toBeGreaterThanOrEqual(70);

    await publish(lab.url, { n: 1 });
    const stats = (await (await fetch(`${lab.url}/api/stats?client=net-route`)).json()) as {
      transports: Record<string, { requests: number }>;
    };
    expect(stats.transports['short-poll']?.requests).toBe(1);
    const listeners = (await (await fetch(`${lab.url}/api/networks/listeners`)).json()) as {
      listeners: NetworkListener[];
    };
    expect(listeners.listeners.find((l) => l.port === first.port)?.connections).toBeGreaterThanOrEqual(1);
  });
});
