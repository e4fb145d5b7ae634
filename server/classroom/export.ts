/**
 * Export: the class's results as a scenario-style results folder, results/class/<time>/, drawn by
 * the same renderer as every scenario (scenarios/render/write.ts): summary.json, PNG charts and an
 * offline report.html. Per transport, the event ages are the students' HDR histograms merged (each
 * page measured in its own browser, its clock corrected to the server's); bytes and requests are
 * the server's counts at the students' sockets (a browser cannot count its own TCP bytes, so the
 * client-side byte fields repeat the server's).
 */
import { join } from 'node:path';
import { LatencyHistogram } from '../../client/latency.js';
import type { ClassView } from '../../contract/classroom.js';
import { floorOverhead } from '../../contract/floor.js';
import type { TransportName } from '../../contract/index.js';
import { machineInfo } from '../../scenarios/machine.js';
import type { Summary, TransportSummary } from '../../scenarios/summary.js';
import type { Lab } from '../lab.js';
import type { Student } from './roster.js';

function per(total: number, count: number): number {
  return count > 0 ? total / count : 0;
}

/** `students` are the roster's present students (their lanes hold the last histogram each page sent). */
export function classSummary(lab: Lab, view: ClassView, students: readonly Student[], startedAt: number): Summary {
  const transports: Summary['transports'] = {};
  for (const [transport, row] of Object.entries(view.transports) as [
    TransportName,
    NonNullable<ClassView['transports'][TransportName]>,
  ][]) {
    const lanes = view.students.flatMap((s) => (s.lanes[transport] === undefined ? [] : [s.lanes[transport]]));
    const encoded = students.flatMap((s) => {
      const histogram = s.lanes[transport]?.histogram;
      return histogram === undefined ? [] : [histogram];
    });
    const merged = LatencyHistogram.decodeAndMerge(encoded);
    const received = lanes.reduce((sum, lane) => sum + lane.received, 0);
    const duplicates = lanes.reduce((sum, lane) => sum + lane.duplicated, 0);
    const server = row.server;
    const payloadPerMessage = per(server.payloadBytes, server.messages);
    const summary: TransportSummary = {
      clients: row.students,
      delivered: received - duplicates,
      expected: received - duplicates + row.lost,
      lost: row.lost,
      duplicates,
      reordered: 0,
      resets: lanes.reduce((sum, lane) => sum + lane.resets, 0),
      latencyMs: { ...merged.summary(), histogram: merged.encode() },
      requests: server.requests,
      emptyResponses: server.emptyResponses,
      bytesIn: server.bytesIn,
      bytesOut: server.bytesOut,
      server: {
        bytesIn: server.bytesIn,
        bytesOut: server.bytesOut,
        requests: server.requests,
        emptyResponses: server.emptyResponses,
        messages: server.messages,
      },
      payloadBytes: server.payloadBytes,
      bytesPerMessage: per(server.bytesIn + server.bytesOut, server.messages),
      payloadPerMessage,
      floorOverheadPerMessage: floorOverhead(transport, { payloadBytes: Math.round(payloadPerMessage) }).total,
      requestsPerMessage: per(server.requests, server.messages),
      timeline: [],
    };
    transports[transport] = summary;
  }
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const messages = Object.values(view.transports).reduce((sum, row) => sum + row.server.messages, 0);
  return {
    scenario: 'class',
    description: `A class of ${view.students.length} on one lab: every student's lanes, measured in their own browsers`,
    params: { students: view.students.length, feed: { ...lab.ticker.settings } },
    startedAt: new Date(startedAt).toISOString(),
    durationMs: view.at - startedAt,
    machine: machineInfo(),
    clock: "each student's browser clock, corrected by its measured offset to the server clock (GET /api/time)",
    transports,
    // The whole process since it started (the lab serves nothing but the class in a session).
    server: { cpuMs, rssMaxBytes: process.memoryUsage().rss, cpuUsPerDelivered: per(cpuMs * 1000, messages) },
    phases: [{ name: 'class', startMs: 0, endMs: view.at - startedAt, cpuMs, rssMaxBytes: process.memoryUsage().rss }],
    expectations: [],
    class: {
      students: view.students.map((s) => ({
        name: s.name,
        rttMs: s.rttMs,
        slow: s.slow,
        lanes: Object.fromEntries(
          Object.entries(s.lanes).map(([t, lane]) => [
            t,
            { p50: lane.p50, p99: lane.p99, received: lane.received, lost: lane.lost, duplicated: lane.duplicated },
          ]),
        ),
      })),
      experiments: view.experiments,
    },
  };
}

/** Writes results/class/<time>/ and says where. */
export async function exportClass(
  lab: Lab,
  view: ClassView,
  students: readonly Student[],
  resultsDir: string,
): Promise<{ dir: string; files: string[] }> {
  // Loaded on demand: the renderer (chart.js on a canvas) costs start-up time no one else needs.
  const { writeReport } = await import('../../scenarios/render/write.js');
  const startedAt = Math.min(view.at, ...view.students.map((s) => s.joinedAt));
  const dir = join(
    resultsDir,
    new Date(view.at)
      .toISOString()
      .replace(/:/g, '-')
      .replace(/\.\d+Z$/, 'Z'),
  );
  const files = await writeReport(dir, classSummary(lab, view, students, startedAt));
  return { dir, files };
}
