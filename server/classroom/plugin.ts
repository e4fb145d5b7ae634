/**
 * Classroom routes (contract/classroom.ts): students join and report, the instructor watches the
 * class view, runs class-wide experiments, resets and exports. Registered only in classroom mode;
 * outside it every class route answers 404 LAB_NOT_A_CLASSROOM, so a page can tell the difference.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { CLASS_NAME_MAX, CLASS_ROUTES, type ClassInfo, type ClassView } from '../../contract/classroom.js';
import { TRANSPORTS } from '../../contract/index.js';
import { BadTokenError, NotAClassroomError, NothingToExportError } from '../errors.js';
import type { Classroom, Lab, LabPluginOptions } from '../lab.js';
import { checkOrigin } from '../origin.js';
import { Experiments } from './experiments.js';
import { exportClass } from './export.js';
import { requireInstructor, roleOf } from './guard.js';
import { Roster, type Student } from './roster.js';
import { buildClassView } from './view.js';

// `type: [x, 'null']`, not anyOf: Fastify's Ajv coerces types, and inside an anyOf it would turn a
// null into 0 or "" (or a 0 into null) on the way through the first branch.
const Age = Type.Unsafe<number | null>({ type: ['number', 'null'], minimum: 0, maximum: 3_600_000 });
const Count = Type.Integer({ minimum: 0, maximum: 1e12 });
const LaneReportSchema = Type.Object(
  {
    received: Count,
    lost: Count,
    duplicated: Count,
    resets: Count,
    p50: Age,
    p99: Age,
    recentP50: Age,
    recentP99: Age,
    recentCount: Count,
    network: Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 40 }),
    histogram: Type.Optional(Type.String({ maxLength: 12_000, pattern: '^[A-Za-z0-9+/=]*$' })),
  },
  { additionalProperties: false },
);
const StudentReportSchema = Type.Object(
  {
    rttMs: Age,
    lanes: Type.Object(Object.fromEntries(TRANSPORTS.map((t) => [t, Type.Optional(LaneReportSchema)])), {
      additionalProperties: false,
    }),
  },
  { additionalProperties: false },
);
const JoinSchema = Type.Object(
  { name: Type.String({ maxLength: CLASS_NAME_MAX * 4 }) },
  { additionalProperties: false },
);
// One object, not a union: Fastify's Ajv removes additional properties, and in a union it would strip
// `rate` while trying the `cut-all` branch.
const ExperimentSchema = Type.Object(
  { kind: Type.Union([Type.Literal('cut-all'), Type.Literal('rate')]), rate: Type.Optional(Type.Number()) },
  { additionalProperties: false },
);

/** The classroom's state for a lab started with `classroom` options; null for an ordinary lab. */
export function createClassroom(lab: Lab): Classroom | null {
  const options = lab.options.classroom;
  if (options === null) return null;
  const roster = new Roster(options.leaveAfterMs);
  return { ...options, roster, experiments: new Experiments(lab, roster) };
}

export const classroomPlugin: FastifyPluginAsyncTypebox<LabPluginOptions> = async (app, { lab }) => {
  const classroom = lab.classroom;
  app.get(CLASS_ROUTES.info, async (request): Promise<ClassInfo> => {
    if (classroom === null) return { classroom: false, joinUrl: null, instructor: false };
    const role = roleOf(request, lab);
    return { classroom: true, joinUrl: classroom.joinUrl, instructor: role.kind === 'instructor' };
  });
  if (classroom === null) {
    app.all('/api/class/*', async () => {
      throw new NotAClassroomError();
    });
    app.all(CLASS_ROUTES.view, async () => {
      throw new NotAClassroomError();
    });
    return;
  }
  const { roster, experiments } = classroom;
  app.addHook('onClose', async () => experiments.stop());

  const student = (request: FastifyRequest): Student => {
    const role = roleOf(request, lab);
    if (role.kind !== 'student') throw new BadTokenError();
    return role.student;
  };
  // Open sockets settled once first, as /api/stats does, so the view is live to the byte.
  const view = (): ClassView => {
    lab.accounting.meter.settleAll();
    return buildClassView(roster, (client, transport) => lab.accounting.ledger.read(client)[transport], {
      joinUrl: classroom.joinUrl,
      experiments: experiments.list,
    });
  };

  app.post(CLASS_ROUTES.join, { schema: { body: JoinSchema } }, async (request, reply) => {
    checkOrigin(request, lab.options.allowedOrigins);
    const answer = roster.join(request.body.name);
    reply.code(201);
    return answer;
  });

  app.post(CLASS_ROUTES.report, { schema: { body: StudentReportSchema } }, async (request) =>
    roster.report(student(request), request.body),
  );

  app.get(CLASS_ROUTES.view, async (request, reply) => {
    requireInstructor(request, lab, 'see the class view');
    reply.header('cache-control', 'no-store');
    return view();
  });

  app.post(CLASS_ROUTES.experiment, { schema: { body: ExperimentSchema } }, async (request) => {
    checkOrigin(request, lab.options.allowedOrigins);
    requireInstructor(request, lab, 'run a class experiment');
    const { body } = request;
    return experiments.run(
      body.kind === 'rate' ? { kind: 'rate', rate: body.rate ?? Number.NaN } : { kind: 'cut-all' },
    );
  });

  app.post(CLASS_ROUTES.reset, async (request) => {
    checkOrigin(request, lab.options.allowedOrigins);
    requireInstructor(request, lab, 'reset the class');
    roster.generation++;
    experiments.clear();
    return { generation: roster.generation };
  });

  app.post(CLASS_ROUTES.export, async (request, reply) => {
    checkOrigin(request, lab.options.allowedOrigins);
    requireInstructor(request, lab, 'export the class results');
    const current = view();
    if (Object.keys(current.transports).length === 0) throw new NothingToExportError();
    const written = await exportClass(lab, current, roster.present(), classroom.resultsDir);
    reply.code(201);
    return written;
  });

  // Drawn on first request (main.ts learns the port only once it listens), then kept.
  let qr: { url: string; svg: string } | null = null;
  app.get(CLASS_ROUTES.qr, async (_request, reply) => {
    const url = classroom.joinUrl;
    if (url === null) throw new NotAClassroomError();
    if (qr?.url !== url) qr = { url, svg: await QRCode.toString(url, { type: 'svg', margin: 1 }) };
    reply.type('image/svg+xml').header('cache-control', 'no-store');
    return qr.svg;
  });
};
