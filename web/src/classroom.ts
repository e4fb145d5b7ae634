/**
 * Classroom mode, seen from a dashboard page (server/classroom/): is this a classroom, and who is
 * this page? The instructor arrives with `?token=…` (kept in this tab's sessionStorage and taken
 * out of the address bar at once, so it never shows on a projector); a student picks a name
 * (remembered in localStorage) and joins. Then the page reports its lanes' numbers every
 * CLASS_HEARTBEAT_MS: that report is also how the class view knows the student is still here.
 */
import {
  CLASS_HEARTBEAT_MS,
  CLASS_RECENT_MS,
  CLASS_ROUTES,
  type ClassInfo,
  type JoinAnswer,
  type LaneReport,
  type ReportAnswer,
  type StudentReport,
} from '../../contract/classroom.js';
import { isPolling } from '../../contract/index.js';
import { api } from './api.js';
import { h, must, setText } from './dom.js';
import type { Lane } from './lane.js';

export type ClassSession =
  | { kind: 'solo' }
  | { kind: 'instructor'; token: string; joinUrl: string | null }
  | { kind: 'student'; student: string; name: string; token: string; joinUrl: string | null };

const TOKEN_KEY = 'transport-lab.instructor-token';
const NAME_KEY = 'transport-lab.student-name';
/** A histogram rides along every this many reports (it is the largest part of a report). */
const HISTOGRAM_EVERY = 5;

/** The instructor's token: from `?token=` (then taken out of the address bar), else this tab's memory. */
export function instructorToken(): string | null {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token !== null) {
    sessionStorage.setItem(TOKEN_KEY, token);
    url.searchParams.delete('token');
    history.replaceState(null, '', url);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Asks the student's name in the page's join form; resolves once the server accepted it. */
function askName(): Promise<JoinAnswer> {
  const form = must<HTMLFormElement>('#join-form');
  const input = must<HTMLInputElement>('#join-name');
  const status = must('#join-status');
  must('#join').hidden = false;
  input.value = localStorage.getItem(NAME_KEY) ?? '';
  input.focus();
  return new Promise((resolve) => {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      api.call<JoinAnswer>('POST', CLASS_ROUTES.join, { name: input.value }).then(
        (answer) => {
          localStorage.setItem(NAME_KEY, input.value);
          must('#join').hidden = true;
          resolve(answer);
        },
        (error: unknown) => setText(status, (error as Error).message),
      );
    });
  });
}

export async function classSession(): Promise<ClassSession> {
  const stored = instructorToken();
  api.actWithToken(stored);
  let info: ClassInfo;
  try {
    info = await api.call<ClassInfo>('GET', CLASS_ROUTES.info);
  } catch {
    // A token this server does not know (an old tab): forget it and ask again as nobody.
    sessionStorage.removeItem(TOKEN_KEY);
    api.actWithToken(null);
    info = await api.call<ClassInfo>('GET', CLASS_ROUTES.info);
  }
  if (!info.classroom) return { kind: 'solo' };
  if (info.instructor && stored !== null) return { kind: 'instructor', token: stored, joinUrl: info.joinUrl };
  api.actWithToken(null);
  const joined = await askName();
  api.actWithToken(joined.token);
  return { kind: 'student', student: joined.student, name: joined.name, token: joined.token, joinUrl: info.joinUrl };
}

/** The classroom strip in the header: who this page is, the join URL and its QR code. */
export function showClassBanner(session: Exclude<ClassSession, { kind: 'solo' }>): void {
  const banner = must('#class-banner');
  banner.hidden = false;
  const who =
    session.kind === 'student'
      ? `You are ${session.name}. The instructor runs the feed; your lanes are yours to cut.`
      : 'Instructor: you run the feed for the whole class.';
  const parts: (Node | string)[] = [h('strong', {}, 'Classroom'), ` · ${who}`];
  if (session.joinUrl !== null) parts.push(' · students open ', h('code', {}, session.joinUrl));
  if (session.kind === 'instructor') parts.push(' · ', h('a', { href: '/class', target: '_blank' }, 'class view'));
  banner.replaceChildren(
    h('p', {}, ...parts),
    h('img', { src: CLASS_ROUTES.qr, alt: 'QR code of the join URL', class: 'qr' }),
  );
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function laneReport(lane: Lane, now: number, withHistogram: boolean): LaneReport {
  const audit = lane.audit.snapshot();
  const summary = lane.latency.summary();
  const recent = lane.series
    .filter((point) => now - point.at <= CLASS_RECENT_MS)
    .map((point) => Math.max(0, point.age))
    .sort((a, b) => a - b);
  const report: LaneReport = {
    received: lane.received,
    lost: audit.lost,
    duplicated: audit.duplicates,
    resets: audit.resets,
    p50: summary.count === 0 ? null : summary.p50,
    p99: summary.count === 0 ? null : summary.p99,
    recentP50: percentile(recent, 50),
    recentP99: percentile(recent, 99),
    recentCount: recent.length,
    // The profile the lane's client goes through (the network selector), null when direct.
    network: lane.network.profile?.name ?? null,
  };
  if (withHistogram) report.histogram = lane.latency.encode();
  return report;
}

/**
 * A student page's heartbeat: its lanes' numbers every CLASS_HEARTBEAT_MS. The answer carries the
 * class's reset and cut counters: a new reset starts the numbers over; a class-wide cut also
 * restarts the polling lanes (the server's cut alone cannot reach a poll between two requests).
 */
export function reportToClass(lanes: readonly Lane[], rttMs: () => number | null, now: () => number): () => void {
  let sent = 0;
  let seen: ReportAnswer | null = null;
  const timer = setInterval(() => {
    const at = now();
    const withHistogram = sent++ % HISTOGRAM_EVERY === 0;
    const body: StudentReport = {
      rttMs: rttMs(),
      lanes: Object.fromEntries(
        lanes.filter((l) => l.connected).map((l) => [l.transport, laneReport(l, at, withHistogram)]),
      ),
    };
    api.call<ReportAnswer>('POST', CLASS_ROUTES.report, body).then(
      (answer) => {
        if (seen !== null && answer.generation !== seen.generation) for (const lane of lanes) lane.resetNumbers();
        if (seen !== null && answer.cuts !== seen.cuts) {
          for (const lane of lanes) if (isPolling(lane.transport)) lane.client?.cut();
        }
        seen = answer;
      },
      () => {},
    );
  }, CLASS_HEARTBEAT_MS);
  return () => clearInterval(timer);
}
