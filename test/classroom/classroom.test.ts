/**
 * Classroom mode against a real server: roles (a student cannot change the feed or cut another
 * student; the instructor can), the class view's sums equal the students' own server counters,
 * a student who stops reporting leaves the view, odd names come back exactly as given, and the
 * export is a valid results folder.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLASS_LEAVE_AFTER_MS,
  CLASS_ROUTES,
  type ClassView,
  classClientId,
  type JoinAnswer,
  type LaneReport,
  type StudentReport,
} from '../../contract/classroom.js';
import { type StatsResponse, TRANSPORTS, type TransportName } from '../../contract/index.js';
import { validateSummary } from '../../scenarios/validate.js';
import { exposureWarning } from '../../server/security/exposure.js';
import { type Running, startLab, until, WsProbe } from '../harness.js';

const INSTRUCTOR = 'instructor-token-for-tests-0123456789';

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

async function call<T = Record<string, unknown>>(
  lab: Running,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${lab.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

function laneReport(received: number, p50: number): LaneReport {
  return {
    received,
    lost: 0,
    duplicated: 0,
    resets: 0,
    p50,
    p99: p50 * 2,
    recentP50: p50,
    recentP99: p50 * 2,
    recentCount: received,
    network: null,
  };
}

async function join(lab: Running, name: string): Promise<JoinAnswer> {
  const answer = await call<JoinAnswer>(lab, 'POST', CLASS_ROUTES.join, { body: { name } });
  expect(answer.status).toBe(201);
  return answer.body;
}

describe('an ordinary lab has no classroom', () => {
  let lab: Running;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(() => lab.close());

  it('says so, and answers class routes 404 LAB_NOT_A_CLASSROOM', async () => {
    expect((await call(lab, 'GET', CLASS_ROUTES.info)).body).toEqual({
      classroom: false,
      joinUrl: null,
      instructor: false,
    });
    const joined = await call(lab, 'POST', CLASS_ROUTES.join, { body: { name: 'Ada' } });
    expect(joined.status).toBe(404);
    expect(joined.body.code).toBe('LAB_NOT_A_CLASSROOM');
    expect((await call(lab, 'GET', CLASS_ROUTES.view)).status).toBe(404);
  });

  it('lets anyone on the machine change the feed, as before', async () => {
    expect((await call(lab, 'PUT', '/api/feed', { body: { rate: 2 } })).status).toBe(200);
    expect((await call(lab, 'POST', '/api/publish', { body: { data: 1 } })).status).toBe(201);
  });
});

describe('the classroom bind', () => {
  it("warns what every interface exposes, and that the feed is the instructor's", () => {
    const classroom = { instructorToken: INSTRUCTOR, joinUrl: null, resultsDir: tmpdir() };
    const warning = exposureWarning('0.0.0.0', 3000, { maxStreams: 10, classroom }) ?? '';
    expect(warning).toContain('classroom mode listens on 0.0.0.0');
    expect(warning).toContain('need the instructor token');
    expect(warning).not.toContain('publish into it');
    expect(exposureWarning('127.0.0.1', 3000, { maxStreams: 10, classroom })).toBeNull();
  });
});

describe('classroom roles', () => {
  let lab: Running;
  let ada: JoinAnswer;
  let bob: JoinAnswer;
  beforeAll(async () => {
    lab = await startLab({
      classroom: { instructorToken: INSTRUCTOR, joinUrl: 'http://192.0.2.10:3000/', resultsDir: tmpdir() },
    });
    ada = await join(lab, 'Ada');
    bob = await join(lab, 'Bob');
  });
  afterAll(() => lab.close());

  it('tells the instructor apart by token', async () => {
    expect((await call(lab, 'GET', CLASS_ROUTES.info)).body).toMatchObject({ classroom: true, instructor: false });
    expect((await call(lab, 'GET', CLASS_ROUTES.info, { token: INSTRUCTOR })).body).toMatchObject({
      classroom: true,
      instructor: true,
      joinUrl: 'http://192.0.2.10:3000/',
    });
    expect((await call(lab, 'GET', CLASS_ROUTES.info, { token: 'not-a-token' })).status).toBe(401);
  });

  it('a student cannot change the feed or publish (403); the instructor can', async () => {
    for (const token of [undefined, ada.token]) {
      const feed = await call(lab, 'PUT', '/api/feed', { token, body: { rate: 5 } });
      expect(feed.status).toBe(403);
      expect(feed.body.code).toBe('LAB_INSTRUCTOR_ONLY');
      const published = await call(lab, 'POST', '/api/publish', { token, body: { data: 'x' } });
      expect(published.status).toBe(403);
      const experiment = await call(lab, 'POST', CLASS_ROUTES.experiment, { token, body: { kind: 'cut-all' } });
      expect(experiment.status).toBe(403);
      expect((await call(lab, 'POST', CLASS_ROUTES.reset, { token })).status).toBe(403);
      expect((await call(lab, 'GET', CLASS_ROUTES.view, { token })).status).toBe(403);
    }
    expect((await call(lab, 'GET', '/api/feed')).body.rate).not.toBe(5);
    expect((await call(lab, 'PUT', '/api/feed', { token: INSTRUCTOR, body: { rate: 5 } })).body.rate).toBe(5);
    expect((await call(lab, 'POST', '/api/publish', { token: INSTRUCTOR, body: { data: 'x' } })).status).toBe(201);
    await call(lab, 'PUT', '/api/feed', { token: INSTRUCTOR, body: { running: false } });
  });

  it('a student cuts only its own lanes (403 for another student); the instructor cuts anyone', async () => {
    const bobsLane = classClientId(bob.student, 'websocket');
    const adasLane = classClientId(ada.student, 'websocket');
    const bobsSocket = await WsProbe.open(lab.url, `?client=${bobsLane}`);
    const byAda = await call(lab, 'POST', `/api/clients/${bobsLane}/cut?transport=websocket`, { token: ada.token });
    expect(byAda.status).toBe(403);
    expect(byAda.body.code).toBe('LAB_NOT_YOUR_LANE');
    expect((await call(lab, 'POST', `/api/clients/${bobsLane}/cut`)).status).toBe(403);
    expect(bobsSocket.closeCode).toBeNull();
    expect((await call(lab, 'POST', `/api/clients/${adasLane}/cut`, { token: ada.token })).status).toBe(200);
    const byBob = await call(lab, 'POST', `/api/clients/${bobsLane}/cut`, { token: bob.token });
    expect(byBob.body.socketsCut).toBe(1);
    await bobsSocket.closed();
    const again = await WsProbe.open(lab.url, `?client=${bobsLane}`);
    const byInstructor = await call(lab, 'POST', `/api/clients/${bobsLane}/cut`, { token: INSTRUCTOR });
    expect(byInstructor.body.socketsCut).toBe(1);
    await again.closed();
  });

  it("refuses a WebSocket publish frame in a classroom (the feed is the instructor's)", async () => {
    const probe = await WsProbe.open(lab.url, `?client=${classClientId(ada.student, 'websocket')}`);
    const head = (await call(lab, 'GET', '/api/feed')).body.head;
    probe.ws.send(JSON.stringify({ type: 'publish', data: 'spam' }));
    await until(() => probe.controls('error').length > 0, 10_000, 'the error frame');
    expect(probe.controls('error')[0]?.code).toBe('LAB_INSTRUCTOR_ONLY');
    expect((await call(lab, 'GET', '/api/feed')).body.head).toBe(head);
    probe.ws.close();
  });

  it('checks names and reports: clear 400s, 401 for an unknown token', async () => {
    for (const name of ['', '   ', 'x'.repeat(41), 'bell\u0007']) {
      const answer = await call(lab, 'POST', CLASS_ROUTES.join, { body: { name } });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('LAB_BAD_NAME');
    }
    expect((await call(lab, 'POST', CLASS_ROUTES.join, { body: {} })).status).toBe(400);
    const report: StudentReport = { rttMs: 1, lanes: { sse: laneReport(1, 2) } };
    expect((await call(lab, 'POST', CLASS_ROUTES.report, { body: report })).status).toBe(401);
    expect((await call(lab, 'POST', CLASS_ROUTES.report, { token: 'f'.repeat(32), body: report })).status).toBe(401);
    const bad = await call(lab, 'POST', CLASS_ROUTES.report, {
      token: ada.token,
      body: { rttMs: 1, lanes: { sse: { ...laneReport(1, 2), lost: -1 } } },
    });
    expect(bad.status).toBe(400);
    const taken = await join(lab, 'Ada');
    expect(taken.name).toBe('Ada (2)');
  });
});

describe('the class view', () => {
  let lab: Running;
  let results: string;
  beforeAll(async () => {
    results = mkdtempSync(joinPath(tmpdir(), 'class-export-'));
    lab = await startLab({ classroom: { instructorToken: INSTRUCTOR, joinUrl: null, resultsDir: results } });
  });
  afterAll(async () => {
    await lab.close();
    rmSync(results, { recursive: true, force: true });
  });

  it("sums exactly the students' own server-side counters, per transport", async () => {
    const students = [await join(lab, 'Ada'), await join(lab, 'Bob'), await join(lab, 'Cy')];
    const streaming: (WsProbe | EventSource)[] = [];
    for (const s of students) {
      streaming.push(await WsProbe.open(lab.url, `?client=${classClientId(s.student, 'websocket')}&since=0`));
      streaming.push(new EventSource(`${lab.url}/api/sse?client=${classClientId(s.student, 'sse')}`));
    }
    await until(() => (lab.app.lab.accounting.ledger.read().sse.connections ?? 0) === 3, 10_000, 'three SSE streams');
    for (let i = 0; i < 5; i++) {
      expect((await call(lab, 'POST', '/api/publish', { token: INSTRUCTOR, body: { data: { i } } })).status).toBe(201);
    }
    await call(lab, 'PUT', '/api/feed', { token: INSTRUCTOR, body: { running: false } });
    for (const s of students) {
      await fetch(`${lab.url}/api/poll?client=${classClientId(s.student, 'short-poll')}&since=0`).then((r) => r.text());
    }
    for (const [i, s] of students.entries()) {
      const report: StudentReport = {
        rttMs: 0.5 + i,
        lanes: { websocket: laneReport(5, 1 + i), sse: laneReport(5, 2 + i), 'short-poll': laneReport(5, 400 + i) },
      };
      expect((await call(lab, 'POST', CLASS_ROUTES.report, { token: s.token, body: report })).status).toBe(200);
    }
    for (const stream of streaming) {
      if (stream instanceof WsProbe) stream.ws.close();
      else stream.close();
    }
    await until(() => lab.app.lab.accounting.ledger.read().websocket.connections === 0, 10_000, 'streams closed');
    await until(() => lab.app.lab.accounting.ledger.read().sse.connections === 0, 10_000, 'streams closed');

    const view = (await call<ClassView>(lab, 'GET', CLASS_ROUTES.view, { token: INSTRUCTOR })).body;
    expect(view.students.map((s) => s.name)).toEqual(['Ada', 'Bob', 'Cy']);
    const used: TransportName[] = ['short-poll', 'sse', 'websocket'];
    for (const transport of used) {
      const row = view.transports[transport];
      expect(row?.students).toBe(3);
      const sum = { requests: 0, messages: 0, bytesIn: 0, bytesOut: 0, payloadBytes: 0 };
      for (const s of students) {
        const stats = (
          await call<StatsResponse>(lab, 'GET', `/api/stats?client=${classClientId(s.student, transport)}`)
        ).body;
        for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += stats.transports[transport][key];
      }
      expect(sum.messages).toBe(15);
      expect(row?.server).toMatchObject(sum);
      expect(row?.bytesPerMessage).toBeCloseTo((sum.bytesIn + sum.bytesOut) / sum.messages, 9);
    }
    expect(view.transports['short-poll']?.p50s).toEqual([400, 401, 402]);
    expect(view.students.map((s) => s.slow)).toEqual([false, false, false]);
    for (const transport of TRANSPORTS) {
      if (!used.includes(transport)) expect(view.transports[transport]).toBeUndefined();
    }
  });

  it('keeps names exactly as given, and never as markup', async () => {
    const odd = ['<img src=x onerror=alert(1)>', '"; DROP TABLE--', 'Zoë & Łukasz', 'مرحبا', '🦊\u200d🔥', "O'Hara"];
    const joined = await Promise.all(odd.map((name) => join(lab, name)));
    for (const s of joined) {
      await call(lab, 'POST', CLASS_ROUTES.report, { token: s.token, body: { rttMs: 2, lanes: {} } });
    }
    const view = (await call<ClassView>(lab, 'GET', CLASS_ROUTES.view, { token: INSTRUCTOR })).body;
    expect(view.students.map((s) => s.name)).toEqual(expect.arrayContaining(odd.map((n) => n.normalize('NFC'))));
  });

  it('runs a class-wide experiment and keeps its before', async () => {
    const answer = await call(lab, 'POST', CLASS_ROUTES.experiment, {
      token: INSTRUCTOR,
      body: { kind: 'rate', rate: 50 },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ kind: 'rate', label: 'feed → 50 msg/s', after: null });
    expect((await call(lab, 'GET', '/api/feed')).body.rate).toBe(50);
    await call(lab, 'PUT', '/api/feed', { token: INSTRUCTOR, body: { running: false } });
    const bad = await call(lab, 'POST', CLASS_ROUTES.experiment, {
      token: INSTRUCTOR,
      body: { kind: 'rate', rate: -1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('LAB_BAD_FEED_SETTINGS');
  });

  it('exports a results folder the renderer and the validator accept', async () => {
    const answer = await call<{ dir: string; files: string[] }>(lab, 'POST', CLASS_ROUTES.export, {
      token: INSTRUCTOR,
    });
    expect(answer.status).toBe(201);
    expect(answer.body.dir.startsWith(results)).toBe(true);
    for (const file of ['summary.json', 'report.html']) expect(existsSync(joinPath(answer.body.dir, file))).toBe(true);
    const summary = JSON.parse(readFileSync(joinPath(answer.body.dir, 'summary.json'), 'utf8'));
    expect(validateSummary(summary)).toEqual([]);
    expect(summary.scenario).toBe('class');
    expect(summary.class.students.length).toBeGreaterThanOrEqual(3);
    expect(answer.body.files.some((f) => f.endsWith('class-spread.png'))).toBe(true);
  });

  it('forgets a student who stops reporting within three heartbeats', async () => {
    const ghost = await join(lab, 'Ghost');
    await call(lab, 'POST', CLASS_ROUTES.report, { token: ghost.token, body: { rttMs: 1, lanes: {} } });
    const names = async () =>
      (await call<ClassView>(lab, 'GET', CLASS_ROUTES.view, { token: INSTRUCTOR })).body.students.map((s) => s.name);
    expect(await names()).toContain('Ghost');
    const left = Date.now();
    let gone = false;
    while (!gone && Date.now() - left < CLASS_LEAVE_AFTER_MS + 3_000) {
      await new Promise((r) => setTimeout(r, 250));
      gone = !(await names()).includes('Ghost');
    }
    expect(gone).toBe(true);
    expect(Date.now() - left).toBeLessThan(CLASS_LEAVE_AFTER_MS + 3_000);
  });
});
