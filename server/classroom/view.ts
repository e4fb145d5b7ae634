/**
 * The class view: every present student's own numbers (what its page measured, and what the
 * server counted at the student's sockets), and per transport the spread across the class and the
 * sum of the server's counters. The sums are plain sums of the per-student counters the server
 * reports for each lane's client id, so anyone can check them with `GET /api/stats?client=`.
 */
import {
  CLASS_SLOW_RTT_MS,
  type ClassAggregate,
  type ClassStudent,
  type ClassTransport,
  type ClassView,
  classClientId,
  median,
} from '../../contract/classroom.js';
import { emptyCounters, TRANSPORTS, type TransportCounters, type TransportName } from '../../contract/index.js';
import type { Roster, Student } from './roster.js';

/** The server's counters for one client id on one transport. */
export type CountersOf = (client: string, transport: TransportName) => TransportCounters;

function isSlow(student: Student): boolean {
  if (student.rttMs !== null && student.rttMs > CLASS_SLOW_RTT_MS) return true;
  return Object.values(student.lanes).some((lane) => lane.network !== null && lane.network !== 'loopback');
}

function studentView(student: Student, countersOf: CountersOf): ClassStudent {
  const server: Partial<Record<TransportName, TransportCounters>> = {};
  for (const transport of TRANSPORTS) {
    if (student.lanes[transport] !== undefined)
      server[transport] = countersOf(classClientId(student.id, transport), transport);
  }
  const lanes: ClassStudent['lanes'] = {};
  for (const [transport, lane] of Object.entries(student.lanes) as [
    TransportName,
    NonNullable<Student['lanes'][TransportName]>,
  ][]) {
    const { histogram: _histogram, ...numbers } = lane;
    lanes[transport] = numbers;
  }
  return {
    id: student.id,
    name: student.name,
    joinedAt: student.joinedAt,
    lastSeenAt: student.lastSeenAt,
    rttMs: student.rttMs,
    slow: isSlow(student),
    lanes,
    server,
  };
}

function addCounters(into: TransportCounters, from: TransportCounters): void {
  for (const key of Object.keys(into) as (keyof TransportCounters)[]) into[key] += from[key];
}

export function buildClassView(
  roster: Roster,
  countersOf: CountersOf,
  extra: Pick<ClassView, 'joinUrl' | 'experiments'>,
  at: number = Date.now(),
): ClassView {
  const students = roster.present(at).map((s) => studentView(s, countersOf));
  const transports: ClassView['transports'] = {};
  for (const transport of TRANSPORTS) {
    const row: ClassTransport = {
      students: 0,
      names: [],
      p50s: [],
      p99s: [],
      server: emptyCounters(),
      bytesPerMessage: null,
      requestsPerMessage: null,
      lost: 0,
      duplicated: 0,
    };
    for (const student of students) {
      const lane = student.lanes[transport];
      const counters = student.server[transport];
      if (lane === undefined || counters === undefined) continue;
      row.students++;
      if (lane.p50 !== null && lane.p99 !== null) {
        row.names.push(student.name);
        row.p50s.push(lane.p50);
        row.p99s.push(lane.p99);
      }
      row.lost += lane.lost;
      row.duplicated += lane.duplicated;
      addCounters(row.server, counters);
    }
    if (row.students === 0) continue;
    if (row.server.messages > 0) {
      row.bytesPerMessage = (row.server.bytesIn + row.server.bytesOut) / row.server.messages;
      row.requestsPerMessage = row.server.requests / row.server.messages;
    }
    transports[transport] = row;
  }
  return {
    at,
    joinUrl: extra.joinUrl,
    generation: roster.generation,
    students,
    transports,
    experiments: extra.experiments,
  };
}

/** The class's recent numbers per transport: the median student's recent p50 and p99, losses summed. */
export function aggregate(roster: Roster, at: number = Date.now()): ClassAggregate {
  const out: ClassAggregate = { at, transports: {} };
  const present = roster.present(at);
  for (const transport of TRANSPORTS) {
    const lanes = present.map((s) => s.lanes[transport]).filter((lane) => lane !== undefined);
    if (lanes.length === 0) continue;
    const p50s = lanes.flatMap((lane) => (lane.recentP50 === null ? [] : [lane.recentP50]));
    const p99s = lanes.flatMap((lane) => (lane.recentP99 === null ? [] : [lane.recentP99]));
    out.transports[transport] = {
      students: lanes.length,
      medianP50: median(p50s),
      medianP99: median(p99s),
      lost: lanes.reduce((sum, lane) => sum + lane.lost, 0),
    };
  }
  return out;
}
