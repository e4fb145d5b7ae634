/**
 * The real thing: redis-server, two lab processes and HAProxy round-robin without stickiness
 * (cluster/cluster.ts). Requests really alternate between instances; one instance is killed
 * (SIGKILL, no goodbye) while clients of every transport read through the balancer, and each
 * client still ends with exactly 1…head: nothing lost, nothing twice.
 */
import http from 'node:http';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from '../../client/transports/index.js';
import type { FeedClient } from '../../client/transports/types.js';
import { type Cluster, startCluster } from '../../cluster/cluster.js';
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { createHttpFetch } from '../../tools/http-fetch.js';
import { range, until } from '../harness.js';
import { requireSystemTool } from '../system-tool.js';

let cluster: Cluster;
beforeAll(async () => {
  requireSystemTool('redis-server');
  requireSystemTool('haproxy');
  cluster = await startCluster({ instances: 2, labArgs: ['--paused'] });
}, 200_000);
afterAll(async () => {
  await cluster?.stop();
}, 30_000);

describe('HAProxy round-robin, no stickiness', () => {
  it('consecutive requests on one keep-alive connection meet both instances', async () => {
    // fetch keeps its connection to HAProxy alive between these sequential requests.
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${cluster.url}/api/feed`);
      served.push(res.headers.get('x-lab-instance') ?? '?');
      await res.text();
    }
    expect(served[0]).not.toBe(served[1]);
    expect(new Set(served)).toEqual(new Set(['i1', 'i2']));
  });

  it("Socket.IO's polling needs sticky sessions (Session ID unknown, 400); the lab's cursor polls do not", async () => {
    // Engine.IO's handshake makes a session in the instance that answered it; the balancer sends
    // the next request of the same session to the other one, which has never heard of it.
    const handshake = await fetch(`${cluster.url}/socket.io/?EIO=4&transport=polling`);
    const open = await handshake.text();
    expect(handshake.status).toBe(200);
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const statuses: number[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${cluster.url}/socket.io/?EIO=4&transport=polling&sid=${sid}&t=${i}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: '40',
      });
      statuses.push(res.status);
      bodies.push(await res.text());
    }
    expect(statuses).toContain(400);
    expect(bodies).toContain('{"code":1,"message":"Session ID unknown"}');

    // A real socket.io-client limited to polling cannot even finish connecting.
    const polling = io(cluster.url, { transports: ['polling'], reconnection: false, forceNew: true });
    const outcome = await new Promise<string>((resolve) => {
      polling.once('connect', () => resolve('connected'));
      polling.once('connect_error', (error) => resolve(`connect_error: ${error.message}`));
      polling.io.engine?.once('close', (reason: string) => resolve(`closed: ${reason}`));
      setTimeout(() => resolve('nothing'), 10_000);
    });
    polling.disconnect();
    expect(outcome).not.toBe('connected');

    // The lab's long polls carry their cursor: any instance answers each of them, exactly.
    const feed = await (await fetch(`${cluster.url}/api/feed`)).json();
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${cluster.url}/api/long-poll?since=${feed.head}&epoch=${feed.epoch}&timeout=0`);
      expect(res.status).toBe(200);
      served.add(res.headers.get('x-lab-instance') ?? '?');
      expect((await res.json()).messages).toEqual([]);
    }
    expect(served).toEqual(new Set(['i1', 'i2']));
  });

  it('an instance killed mid-run: every transport resumes elsewhere, 0 lost, 0 duplicated', async () => {
    const received = {} as Record<TransportName, number[]>;
    const clients: FeedClient[] = [];
    const feed = await (await fetch(`${cluster.url}/api/feed`)).json();
    for (const transport of TRANSPORTS) {
      received[transport] = [];
      const client = createClient(transport, {
        baseUrl: cluster.url,
        clientId: `kill-${transport}`,
        resume: true,
        cursor: { epoch: feed.epoch, seq: feed.head },
        pollIntervalMs: 50,
        longPollTimeoutMs: 5_000,
        reconnect: { baseMs: 50, capMs: 500 },
        fetch: createHttpFetch(new http.Agent({ keepAlive: true, maxSockets: 1 })),
        WebSocket: WebSocket as never,
        EventSource: EventSource as never,
        io: io as never,
        // WebSocket only: each Engine.IO connection is one TCP connection, so it may land on any instance.
        // (Its polling transport needs sticky sessions: the test above shows it.)
        socketIoTransports: ['websocket'],
      });
      client.on('message', (msg) => received[transport].push(msg.seq));
      clients.push(client);
      client.start();
    }

    // Publish through the balancer at ~40/s; kill i1 a third of the way in.
    const publish = async (i: number) => {
      const res = await fetch(`${cluster.url}/api/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: { i } }),
      }).catch(() => null);
      return res?.status === 201;
    };
    let published = 0;
    for (let i = 0; i < 120; i++) {
      if (i === 40) await cluster.kill(0);
      if (await publish(i)) published += 1;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const head = (await (await fetch(`${cluster.url}/api/feed`)).json()).head as number;
    expect(head).toBeGreaterThanOrEqual(published);
    expect(published).toBeGreaterThan(100);
    await until(
      () => TRANSPORTS.every((t) => received[t].at(-1) === head),
      30_000,
      `every client at ${head}: ${TRANSPORTS.map((t) => `${t} ${received[t].at(-1)}`).join(', ')}`,
    );
    for (const client of clients) client.stop();
    for (const transport of TRANSPORTS) {
      expect(received[transport], transport).toEqual(range(feed.head + 1, head));
    }
  }, 90_000);
});
