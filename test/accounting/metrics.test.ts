/**
 * `GET /metrics`: Prometheus text whose per-transport counters are the `/api/stats` numbers, plus
 * the event-loop delay.
 */
import { once } from 'node:events';
import http from 'node:http';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TRANSPORTS } from '../../contract/index.js';
import { createStreamingFetch } from '../../tools/http-fetch.js';
import { publish, type Running, startLab, until } from '../harness.js';
import { countsOf, pollJson, stats } from './wire.js';

let lab: Running;
beforeAll(async () => {
  lab = await startLab({});
});
afterAll(async () => {
  await lab.close();
});

/** Parse Prometheus text: `name{labels} value` lines into a map keyed by `name{labels}`. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

const METRIC_OF = {
  requests: 'lab_requests_total',
  emptyResponses: 'lab_empty_responses_total',
  messages: 'lab_messages_total',
  payloadBytes: 'lab_payload_bytes_total',
  bytesIn: 'lab_bytes_in_total',
  bytesOut: 'lab_bytes_out_total',
} as const;

describe('/metrics', () => {
  it('reports every transport’s counters exactly as /api/stats does', async () => {
    // Traffic on all four transports, then everything closed.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const es = new EventSource(`${lab.url}/api/sse?client=m-sse`, { fetch: createStreamingFetch() });
    let sseMessages = 0;
    es.onmessage = () => {
      sseMessages += 1;
    };
    const ws = new WebSocket(`${lab.url.replace('http', 'ws')}/api/ws?client=m-ws`);
    let wsFrames = 0;
    ws.on('message', () => {
      wsFrames += 1;
    });
    await Promise.all([once(es, 'open'), once(ws, 'open')]);
    await until(() => wsFrames === 1, 10_000, 'hello');
    const sio = io(lab.url, { path: '/socket.io/', query: { client: 'm-sio' }, forceNew: true, reconnection: false });
    let sioMessages = 0;
    sio.on('feed', () => {
      sioMessages += 1;
    });
    await new Promise((resolve) => sio.once('hello', resolve));
    const first = await pollJson(`${lab.url}/api/poll?client=m-sp`, agent);
    const held = pollJson(`${lab.url}/api/long-poll?client=m-lp&since=${first.head}&timeout=10000`, new http.Agent());
    await until(() => lab.app.lab.accounting.ledger.read()['long-poll'].connections === 1, 10_000, 'the held poll');
    await publish(lab.url, { n: 1 });
    await publish(lab.url, { n: 2 });
    await held;
    await pollJson(`${lab.url}/api/poll?client=m-sp&since=${first.head}`, agent);
    await pollJson(`${lab.url}/api/poll?client=m-sp&since=${first.head + 2}`, agent);
    await until(() => sseMessages === 2 && wsFrames === 3 && sioMessages === 2, 10_000, 'the stream messages');
    sio.disconnect();
    es.close();
    ws.close();
    await once(ws, 'close');
    agent.destroy();
    await until(
      () => Object.values(lab.app.lab.accounting.ledger.read()).every((c) => c.connections === 0),
      10_000,
      'streams to close',
    );

    // A socket may still be closing (its last bytes settle when it does): take a scrape that
    // falls between two identical stats reads.
    let report = await stats(lab.url);
    let response: Response;
    for (;;) {
      response = await fetch(`${lab.url}/metrics`);
      const again = await stats(lab.url);
      const same = TRANSPORTS.every(
        (t) => JSON.stringify(countsOf(again.transports[t])) === JSON.stringify(countsOf(report.transports[t])),
      );
      report = again;
      if (same) break;
      await response.text();
    }
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# TYPE lab_bytes_out_total counter');
    const metrics = parseMetrics(text);

    for (const transport of TRANSPORTS) {
      const counts = countsOf(report.transports[transport]);
      expect(counts.requests, transport).toBeGreaterThan(0);
      expect(counts.bytesOut, transport).toBeGreaterThan(0);
      for (const [field, metric] of Object.entries(METRIC_OF) as [keyof typeof METRIC_OF, string][]) {
        expect(metrics.get(`${metric}{transport="${transport}"}`), `${metric} ${transport}`).toBe(counts[field]);
      }
    }

    expect(text).toContain('# TYPE lab_event_loop_delay_seconds gauge');
    expect(metrics.get('lab_feed_head')).toBe(report.transports['short-poll'].messages);
    for (const transport of TRANSPORTS) expect(metrics.get(`lab_connections{transport="${transport}"}`)).toBe(0);
  });

  it('samples the event-loop delay only while scraped: none at the first scrape, the delay since the last one after', async () => {
    // Its own lab: the scrapes of the other tests here would have started the monitor already.
    const own = await startLab({});
    try {
      const first = await (await fetch(`${own.url}/metrics`)).text();
      expect(first).toContain('# TYPE lab_event_loop_delay_seconds gauge');
      expect([...parseMetrics(first).keys()].filter((name) => name.startsWith('lab_event_loop_delay'))).toEqual([]);
      // Let the monitor's 10 ms timer fire a few times, then the next scrape has the delay since the first.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = parseMetrics(await (await fetch(`${own.url}/metrics`)).text());
      for (const quantile of ['0.5', '0.9', '0.99', '1']) {
        const value = second.get(`lab_event_loop_delay_seconds{quantile="${quantile}"}`);
        expect(value, quantile).toBeDefined();
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBeGreaterThan(0);
        expect(value).toBeLessThan(10);
      }
    } finally {
      await own.close();
    }
  });

  it('counters never go down between scrapes', async () => {
    const a = parseMetrics(await (await fetch(`${lab.url}/metrics`)).text());
    await pollJson(`${lab.url}/api/poll`, new http.Agent());
    const b = parseMetrics(await (await fetch(`${lab.url}/metrics`)).text());
    for (const [name, value] of a) {
      if (name.includes('_total')) expect(b.get(name), name).toBeGreaterThanOrEqual(value);
    }
    expect(b.get('lab_requests_total{transport="short-poll"}')).toBe(
      (a.get('lab_requests_total{transport="short-poll"}') ?? 0) + 1,
    );
  });
});
