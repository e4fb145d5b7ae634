/**
 * The class: who joined (name, token), what each student's page last reported, and who is still
 * here (heard from within the leave window, CLASS_LEAVE_AFTER_MS by default). Bounded: at most CLASS_MAX_STUDENTS, the longest
 * gone forgotten first. Tokens are random 128-bit values, compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  CLASS_LEAVE_AFTER_MS,
  CLASS_MAX_STUDENTS,
  CLASS_NAME_MAX,
  type JoinAnswer,
  type LaneReport,
  type ReportAnswer,
  type StudentReport,
} from '../../contract/classroom.js';
import type { TransportName } from '../../contract/index.js';
import { BadNameError, ClassFullError } from '../errors.js';

export interface Student {
  id: string;
  name: string;
  token: string;
  joinedAt: number;
  lastSeenAt: number;
  rttMs: number | null;
  lanes: Partial<Record<TransportName, LaneReport>>;
}

/** A name as the class will show it, or a 400 saying what is wrong with it. */
export function normalizeName(raw: unknown): string {
  if (typeof raw !== 'string') throw new BadNameError('name must be a string');
  const name = raw.normalize('NFC').trim();
  const length = [...name].length;
  if (length < 1 || length > CLASS_NAME_MAX) {
    throw new BadNameError(`name must be 1 to ${CLASS_NAME_MAX} characters, got ${length}`);
  }
  if (/\p{Cc}/u.test(name)) throw new BadNameError('name must not contain control characters');
  return name;
}

/** Student ids: `s` + 7 base-36 characters, so `<id>-` prefixes never overlap. */
function newStudentId(): string {
  let id = '';
  for (const byte of randomBytes(7)) id += (byte % 36).toString(36);
  return `s${id}`;
}

export function newToken(): string {
  return randomBytes(16).toString('hex');
}

export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class Roster {
  private readonly students = new Map<string, Student>();
  private readonly byToken = new Map<string, Student>();
  /** Bumped by a class reset; pages start their numbers over when they see it move. */
  generation = 0;
  /** Bumped by "everyone cut now"; pages restart their polling lanes when they see it move. */
  cuts = 0;

  constructor(
    /** How long a student may stay silent before leaving the class view (CLASS_LEAVE_AFTER_MS by default). */
    private readonly leaveAfterMs: number = CLASS_LEAVE_AFTER_MS,
    private readonly now: () => number = Date.now,
  ) {}

  join(rawName: unknown): JoinAnswer {
    const wanted = normalizeName(rawName);
    const at = this.now();
    if (this.students.size >= CLASS_MAX_STUDENTS && !this.forgetLongestGone(at)) {
      throw new ClassFullError(CLASS_MAX_STUDENTS);
    }
    const taken = new Set(this.present(at).map((s) => s.name));
    let name = wanted;
    for (let n = 2; taken.has(name); n++) name = `${wanted} (${n})`;
    let id = newStudentId();
    while (this.students.has(id)) id = newStudentId();
    const student: Student = { id, name, token: newToken(), joinedAt: at, lastSeenAt: at, rttMs: null, lanes: {} };
    this.students.set(id, student);
    this.byToken.set(student.token, student);
    return { student: id, name, token: student.token };
  }

  /** The student a bearer token belongs to (Map lookup by the token itself, then a constant-time check). */
  byBearer(token: string): Student | undefined {
    const student = this.byToken.get(token);
    return student !== undefined && sameToken(student.token, token) ? student : undefined;
  }

  report(student: Student, report: StudentReport): ReportAnswer {
    student.lastSeenAt = this.now();
    student.rttMs = report.rttMs;
    const lanes: Partial<Record<TransportName, LaneReport>> = {};
    for (const [transport, lane] of Object.entries(report.lanes) as [TransportName, LaneReport][]) {
      // Histograms come every few reports: keep the last one between them.
      const histogram = lane.histogram ?? student.lanes[transport]?.histogram;
      lanes[transport] = histogram === undefined ? lane : { ...lane, histogram };
    }
    student.lanes = lanes;
    return { generation: this.generation, cuts: this.cuts };
  }

  /** Students heard from within the leave window, in joining order. */
  present(at: number = this.now()): Student[] {
    return [...this.students.values()].filter((s) => at - s.lastSeenAt < this.leaveAfterMs);
  }

  /** Whether this client id belongs to the student (`<student>-<transport>`). */
  static owns(student: Student, clientId: string): boolean {
    return clientId.startsWith(`${student.id}-`);
  }

  /** Whether this client id is any present student's lane. */
  isClassClient(clientId: string, at: number = this.now()): boolean {
    const id = clientId.split('-', 1)[0] as string;
    const student = this.students.get(id);
    return student !== undefined && at - student.lastSeenAt < this.leaveAfterMs;
  }

  private forgetLongestGone(at: number): boolean {
    let oldest: Student | undefined;
    for (const s of this.students.values()) {
      if (at - s.lastSeenAt < this.leaveAfterMs) continue;
      if (oldest === undefined || s.lastSeenAt < oldest.lastSeenAt) oldest = s;
    }
    if (oldest === undefined) return false;
    this.students.delete(oldest.id);
    this.byToken.delete(oldest.token);
    return true;
  }
}
