/**
 * The HTTP capacity phase: how many short polls per second the lab sustains, beside a bare
 * `node:http` server answering the same body in the same run (DESIGN.md §5). autocannon
 * (programmatic API) drives both; it speaks neither SSE nor WebSocket, and would report a held
 * long poll as a slow request, so the polls it is.
 *
 * The feed is paused meanwhile, so every answer is the same one-message body. Lab, bare Fastify
 * and bare node:http runs alternate (`rounds` times each, after a one-second warm-up of each):
 * drift on a shared machine then hits all alike, and the ratios hold better than any number.
 *
 * On a small machine autocannon and the server share the CPUs, so requests/s may be the load
 * generator's ceiling rather than the server's (a ratio near 1 then says little). The serving
 * process's own CPU per request (/proc) does not depend on who is the bottleneck: that is the
 * figure to compare.
 */
import autocannon from 'autocannon';
import type { ControlClient } from '../client/control.js';
import { LISTENING, startChild } from '../tools/child-process.js';
import type { CapacityDef } from './define.js';
import { readProc } from './proc-meter.js';
import type { Summary } from './summary.js';

export type CapacityResult = NonNullable<Summary['capacity']>[number];

interface Run {
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  /** Requests answered, and the serving process's CPU meanwhile (/proc). */
  requests: number;
  cpuMs: number;
}

function fire(url: string, pid: number, connections: number, durationS: number, pipelining: number): Promise<Run> {
  const before = readProc(pid)?.cpuMs ?? Number.NaN;
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: durationS, pipelining }, (error, result) => {
      if (error) return reject(error);
      resolve({
        requestsPerSec: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.timeouts + result.non2xx,
        requests: result.requests.total,
        cpuMs: (readProc(pid)?.cpuMs ?? Number.NaN) - before,
      });
    });
  });
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const mean = (values: number[]): number => sum(values) / Math.max(1, values.length);

/**
 * Two entries: the lab against bare node:http, and bare Fastify (same body, no lab) against bare
 * node:http, so the gap can be split between the framework and the lab's own per-request work.
 */
export async function runCapacity(
  api: ControlClient,
  labPid: number,
  def: Required<CapacityDef>,
  log: (line: string) => void,
): Promise<CapacityResult[]> {
  let feed = await api.setFeed({ running: false });
  if (feed.head === 0) {
    await api.publish('capacity');
    feed = await api.feed();
  }
  // One message behind the head: every answer carries exactly the newest message.
  const route = `/api/poll?since=${feed.head - 1}&epoch=${feed.epoch}&client=autocannon`;
  const body = await api.text(route);
  const env = { BASELINE_BODY: body };
  const [bareStarted, fastifyStarted] = await Promise.allSettled([
    startChild(['--import', 'tsx', 'scenarios/baseline-server.ts'], LISTENING, env),
    startChild(['--import', 'tsx', 'scenarios/fastify-baseline-server.ts'], LISTENING, env),
  ]);
  if (bareStarted.status === 'rejected' || fastifyStarted.status === 'rejected') {
    for (const started of [bareStarted, fastifyStarted]) if (started.status === 'fulfilled') await started.value.stop();
    throw bareStarted.status === 'rejected' ? bareStarted.reason : (fastifyStarted as PromiseRejectedResult).reason;
  }
  const bare = bareStarted.value;
  const fastify = fastifyStarted.value;
  try {
    const { connections, durationS, pipelining, rounds } = def;
    const targets = [
      { name: 'lab', pid: labPid, url: new URL(route, api.url).toString(), runs: [] as Run[] },
      { name: 'bare Fastify', pid: fastify.pid, url: new URL(route, fastify.url).toString(), runs: [] as Run[] },
      { name: 'bare node:http', pid: bare.pid, url: new URL(route, bare.url).toString(), runs: [] as Run[] },
    ] as const;
    for (const t of targets) await fire(t.url, t.pid, connections, 1, pipelining); // warm the JIT
    for (let round = 1; round <= rounds; round++) {
      for (const t of targets) {
        log(`capacity round ${round}/${rounds}: ${t.name}`);
        t.runs.push(await fire(t.url, t.pid, connections, durationS, pipelining));
      }
    }
    const [lab, fast, node] = targets;
    const nodeRps = mean(node.runs.map((r) => r.requestsPerSec));
    const cpuPerRequest = (runs: Run[]) => (1000 * sum(runs.map((r) => r.cpuMs))) / sum(runs.map((r) => r.requests));
    const entry = (route: string, runs: Run[]): CapacityResult => {
      const rps = mean(runs.map((r) => r.requestsPerSec));
      return {
        route,
        connections,
        durationS,
        requestsPerSec: rps,
        latencyMs: { p50: mean(runs.map((r) => r.p50)), p99: mean(runs.map((r) => r.p99)) },
        baseline: {
          name: 'bare node:http, same body',
          requestsPerSec: nodeRps,
          ratio: nodeRps > 0 ? rps / nodeRps : 0,
        },
        pipelining,
        rounds,
        errors: sum(runs.map((r) => r.errors)),
        serverCpuUsPerRequest: cpuPerRequest(runs),
        baselineCpuUsPerRequest: cpuPerRequest(node.runs),
        serverCpuShare: sum(runs.map((r) => r.cpuMs)) / (1000 * durationS * runs.length),
      };
    };
    return [entry('/api/poll (lab)', lab.runs), entry('/api/poll (bare Fastify, same body)', fast.runs)];
  } finally {
    await Promise.all([bare.stop(), fastify.stop()]);
  }
}
