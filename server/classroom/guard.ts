/**
 * Who may change the shared lab. Outside a classroom: anyone on this machine (the Origin check in
 * server/origin.ts keeps other sites out). In a classroom: the feed, publishing and class
 * experiments are the instructor's (their token, printed at start); a student may cut only its
 * own lanes (client ids `<student>-<transport>`, proven by the student's token).
 */
import type { FastifyRequest } from 'fastify';
import { BadTokenError, InstructorOnlyError, NotYourLaneError } from '../errors.js';
import type { Lab } from '../lab.js';
import { Roster, type Student, sameToken } from './roster.js';

export type Role = { kind: 'instructor' } | { kind: 'student'; student: Student } | { kind: 'anyone' };

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([0-9A-Za-z_-]{1,128})$/.exec(header);
  return match === null ? null : (match[1] as string);
}

/** The role a request's token gives it in the classroom; an unknown token is a 401, not "anyone". */
export function roleOf(request: FastifyRequest, lab: Lab): Role {
  const classroom = lab.classroom;
  const token = bearer(request);
  if (classroom === null || token === null) return { kind: 'anyone' };
  if (sameToken(token, classroom.instructorToken)) return { kind: 'instructor' };
  const student = classroom.roster.byBearer(token);
  if (student === undefined) throw new BadTokenError();
  return { kind: 'student', student };
}

/** Throws 403 unless this request may change the shared feed (`what` names the action, for the message). */
export function requireInstructor(request: FastifyRequest, lab: Lab, what: string): void {
  if (lab.classroom === null) return;
  if (roleOf(request, lab).kind !== 'instructor') throw new InstructorOnlyError(what);
}

/** Throws 403 unless this request may cut `client`'s sockets. */
export function requireMayCut(request: FastifyRequest, lab: Lab, client: string): void {
  if (lab.classroom === null) return;
  const role = roleOf(request, lab);
  if (role.kind === 'instructor') return;
  if (role.kind === 'student' && Roster.owns(role.student, client)) return;
  throw new NotYourLaneError(client);
}
