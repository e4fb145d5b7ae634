/**
 * Every error the lab answers with, declared once with @fastify/error: a stable code from
 * contract/index.ts (ERROR_CODES), a status, and Fastify's JSON error shape
 * `{statusCode, code, error, message}`. docs/contract.md lists them.
 */
import createError from '@fastify/error';
import { ERROR_CODES } from '../contract/index.js';

export const BadCursorError = createError<[string]>(ERROR_CODES.badCursor, 'Bad cursor: %s', 400);
export const BadQueryError = createError<[string]>(ERROR_CODES.badQuery, 'Bad request: %s', 400);
export const FutureCursorError = createError<[number, number]>(
  ERROR_CODES.futureCursor,
  'Cursor since=%s is ahead of the feed head %s: this server never sent it',
  400,
);
export const BadTimeoutError = createError<[string]>(ERROR_CODES.badTimeout, 'Bad timeout: %s', 400);
export const ForeignOriginError = createError<[string]>(
  ERROR_CODES.foreignOrigin,
  'Origin %s is not this server: refused (CORS does not protect a WebSocket handshake)',
  403,
);
export const TooManyConnectionsError = createError<[number]>(
  ERROR_CODES.tooManyConnections,
  'The server holds its limit of %s open connections: try again later',
  503,
);
export const BadNetworkError = createError<[string]>(ERROR_CODES.badNetwork, '%s', 400);
export const TooManyListenersError = createError<[number]>(
  ERROR_CODES.tooManyConnections,
  'this server already runs %s network listeners',
  503,
);
export const FeedUnavailableError = createError<[string]>(
  ERROR_CODES.feedUnavailable,
  "The feed's Redis is unreachable (%s): publishing is refused until it is back",
  503,
);
export const ForeignHostError = createError<[string]>(
  ERROR_CODES.foreignHost,
  'Host %s is not this lab: refused (a page on another site reaching a lab on loopback through DNS rebinding)',
  403,
);
export const TooManyRequestsError = createError<[number]>(
  ERROR_CODES.tooManyRequests,
  'More than %s polls a second from this client: wait for Retry-After',
  429,
);
export const BadUpgradeError = createError<[string]>(ERROR_CODES.badUpgrade, 'Bad WebSocket upgrade: %s', 400);
export const BadFeedSettingsError = createError<[string]>(ERROR_CODES.badFeedSettings, '%s', 400);
export const NoHandshakeError = createError<[string]>(
  ERROR_CODES.noHandshake,
  'no WebSocket handshake seen for client %s',
  404,
);

// Classroom mode (server/classroom/guard.ts, roster.ts, plugin.ts).
export const InstructorOnlyError = createError<[string]>(
  ERROR_CODES.instructorOnly,
  'In a classroom only the instructor may %s (send the instructor token as Authorization: Bearer …)',
  403,
);
export const NotYourLaneError = createError<[string]>(
  ERROR_CODES.notYourLane,
  'Client %s is not one of your lanes: a student may cut only its own',
  403,
);
export const BadTokenError = createError(
  ERROR_CODES.badToken,
  'Unknown token: join the class again (POST /api/class/join)',
  401,
);
export const NotAClassroomError = createError(
  ERROR_CODES.notAClassroom,
  'This lab is not running as a classroom (start it with npm start -- --classroom)',
  404,
);
export const BadNameError = createError<[string]>(ERROR_CODES.badName, 'Bad name: %s', 400);
export const ClassFullError = createError<[number]>(ERROR_CODES.classFull, 'The class is full (%s students here)', 503);
export const NothingToExportError = createError(
  ERROR_CODES.nothingToExport,
  'No student has reported a lane yet: nothing to export',
  409,
);
