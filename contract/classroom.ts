/**
 * Classroom mode (`npm start -- --classroom`): one instructor's lab, a whole class on it. The shapes
 * the server, the student dashboard and the class view share. Nothing here touches the network.
 *
 * Roles: a student joins with a name and gets a token that owns its lanes' client ids
 * (`<student>-<transport>`); the instructor's token (printed at start, never in a page) changes the
 * feed, cuts anyone, runs class-wide experiments and exports results. docs/classroom.md has the whole story.
 */
import type { TransportCounters, TransportName } from './index.js';

export const CLASS_ROUTES = {
  /** `GET`: is this a classroom, where do students join, and am I the instructor (by my token)? */
  info: '/api/class/info',
  /** `POST {name}` → `JoinAnswer`. */
  join: '/api/class/join',
  /** `POST StudentReport` (student token) → `ReportAnswer`: the page's heartbeat and its lanes' numbers. */
  report: '/api/class/report',
  /** `GET` (instructor): the `ClassView` (the class page asks once a second, with its token in a header). */
  view: '/api/class',
  /** `POST {kind, rate?}` (instructor): a class-wide experiment. */
  experiment: '/api/class/experiment',
  /** `POST` (instructor): forget the experiments; every page starts its numbers over. */
  reset: '/api/class/reset',
  /** `POST` (instructor): write results/class/<time>/ (summary.json, charts, report.html). */
  export: '/api/class/export',
  /** `GET`: the join URL as an SVG QR code. */
  qr: '/api/class/qr.svg',
} as const;

/** A student page reports every this often; that report is its heartbeat. */
export const CLASS_HEARTBEAT_MS = 2_000;
/** A student not heard from for three heartbeats has left the class view. */
export const CLASS_LEAVE_AFTER_MS = 3 * CLASS_HEARTBEAT_MS;
/** A page's "recent" numbers cover this last stretch (for before/after experiments). */
export const CLASS_RECENT_MS = 10_000;
/** How long after an experiment its "after" is taken. */
export const CLASS_AFTER_MS = 12_000;
/** A student whose best round trip to the server is above this is "behind a slow network". */
export const CLASS_SLOW_RTT_MS = 100;
/** Names are free text (any script, any symbol), 1 to this many characters, no control characters. */
export const CLASS_NAME_MAX = 40;
/** Students a class holds at most (the roster is bounded like every other table of the lab). */
export const CLASS_MAX_STUDENTS = 1_000;

export interface ClassInfo {
  classroom: boolean;
  /** The URL students open (the LAN address), when this is a classroom. */
  joinUrl: string | null;
  /** True when the request carried the instructor's token. */
  instructor: boolean;
}

export interface JoinAnswer {
  /** The student's id: its lanes use client ids `<student>-<transport>`. */
  student: string;
  /** The name as the class sees it (made unique with a suffix when taken). */
  name: string;
  /** Sent as `Authorization: Bearer <token>` on reports and cuts. */
  token: string;
}

/** One lane's numbers as its page sees them. Ages in ms, the page's clock corrected to the server's. */
export interface LaneReport {
  received: number;
  lost: number;
  duplicated: number;
  resets: number;
  p50: number | null;
  p99: number | null;
  /** Over the last CLASS_RECENT_MS only (for before/after experiments); null when nothing arrived. */
  recentP50: number | null;
  recentP99: number | null;
  recentCount: number;
  /** The lane's network profile, when it goes through one (null: straight to the server). */
  network: string | null;
  /** The lane's whole HDR histogram (client/latency.ts encode()), sent every few reports. */
  histogram?: string;
}

export interface StudentReport {
  /** The page's best round trip to the server (GET /api/time), ms. */
  rttMs: number | null;
  lanes: Partial<Record<TransportName, LaneReport>>;
}

export interface ReportAnswer {
  /** Bumped by a class reset: a page that sees a new value starts its numbers over. */
  generation: number;
  /** Bumped by "everyone cut now": a page that sees a new value also restarts its polling lanes. */
  cuts: number;
}

export interface ClassStudent {
  id: string;
  name: string;
  joinedAt: number;
  lastSeenAt: number;
  rttMs: number | null;
  /** Best RTT above CLASS_SLOW_RTT_MS, or a lane on a network profile other than loopback. */
  slow: boolean;
  lanes: Partial<Record<TransportName, LaneReport>>;
  /** The server's counters for this student's lanes, at the socket, per transport. */
  server: Partial<Record<TransportName, TransportCounters>>;
}

export interface ClassTransport {
  /** Students whose page reported this lane. */
  students: number;
  /** Each such student's p50 and p99 (same order as `names`), for the strip plot. */
  names: string[];
  p50s: number[];
  p99s: number[];
  /** The sum of the students' server-side counters for this transport. */
  server: TransportCounters;
  /** server bytesIn + bytesOut per delivered message, and requests per delivered message; null before any. */
  bytesPerMessage: number | null;
  requestsPerMessage: number | null;
  lost: number;
  duplicated: number;
}

/** The class at one moment, per transport: what a before/after chart compares. */
export interface ClassAggregate {
  at: number;
  transports: Partial<
    Record<TransportName, { students: number; medianP50: number | null; medianP99: number | null; lost: number }>
  >;
}

export type ExperimentKind = 'cut-all' | 'rate';

export interface ClassExperiment {
  id: number;
  kind: ExperimentKind;
  label: string;
  at: number;
  before: ClassAggregate;
  /** Taken CLASS_AFTER_MS later; null until then. */
  after: ClassAggregate | null;
}

export interface ClassView {
  at: number;
  joinUrl: string | null;
  generation: number;
  students: ClassStudent[];
  transports: Partial<Record<TransportName, ClassTransport>>;
  experiments: ClassExperiment[];
}

/** A student's lane client id. */
export function classClientId(student: string, transport: TransportName): string {
  return `${student}-${transport}`;
}

/** The median of some numbers, or null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}
