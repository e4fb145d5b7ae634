/**
 * Who may change the shared lab. Outside a classroom: anyone on this machine (the Origin check in
 * server/origin.ts keeps other sites out). In a classroom: the feed, publishing and class
 * experiments are the instructor's (their token, printed at start); a student may cut only its
 * own lanes (client ids `<student>-<transport>`, proven by the student's token).
 */
import createError from '@fastify/error';
import type { FastifyRequest } from 'fastify';
import type { Lab } from '../lab.js';
import { Roster, type Student, sameToken } from './roster.js';

export const CLASS_ERROR_CODES = {
  instructorOnly: 'LAB_INSTRUCTOR_ONLY',
  notYourLane: 'LAB_NOT_YOUR_LANE',
  badToken: 'LAB_BAD_TOKEN',
  notAClassroom: 'LAB_NOT_A_CLASSROOM',
  badName: 'LAB_BAD_NAME',
  classFull: 'LAB_CLASS_FULL',
} as const;

export const InstructorOnlyError = createError<[string]>(
  CLASS_ERROR_CODES.instructorOnly,
  'In a classroom only the instructor may %s (send the instructor token as Authorization: Bearer …)',
  403,
);
export const NotYourLaneError = createError<[string]>(
  CLASS_ERROR_CODES.notYourLane,
  'Client %s is not one of your lanes: a student may cut only its own',
  403,
);
export const BadTokenError = createError(
  CLASS_ERROR_CODES.badToken,
  'Unknown token: join the class again (POST /api/class/join)',
  401,
);
export const NotAClassroomError = createError(
  CLASS_ERROR_CODES.notAClassroom,
  'This lab is not running as a classroom (start it with npm start -- --classroom)',
  404,
);

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
