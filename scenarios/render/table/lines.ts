/** One-line summaries of the processes of a run, printed under the tables. */
import type { Summary } from '../../summary.js';
import { formatBytes, formatCount, formatValue } from './format.js';

/** One line about the runner process (clients, proxies): its CPU and its main thread's worst loop delay. */
export function runnerLine(summary: Summary): string {
  const r = summary.runner;
  if (!r) return '';
  const d = r.eventLoopDelayMs;
  return `runner: ${formatCount(r.cpuMs)} ms CPU (clients and proxies, every thread), main-thread loop delay p99 ${formatValue(d?.p99)} ms, max ${formatValue(d?.max)} ms`;
}

/** One line about the runner's own publishes (arrivals even/poisson), when it published; '' otherwise. */
export function publisherLine(summary: Summary): string {
  const p = summary.publisher;
  if (!p) return '';
  const failed = p.failed === 0 ? 'none failed' : `${formatCount(p.failed)} FAILED (messages no client could receive)`;
  return `publisher: ${formatCount(p.published)} messages published by the runner, ${failed}`;
}

/** One line about the server process: its CPU and peak memory over the run. */
export function serverLine(summary: Summary): string {
  const s = summary.server;
  return `server: ${formatCount(s.cpuMs)} ms CPU, ${formatValue(s.cpuUsPerDelivered)} µs CPU per delivered message, RSS max ${formatBytes(s.rssMaxBytes)}`;
}
