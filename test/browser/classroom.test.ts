/**
 * Classroom mode in real browsers: two students join from their own Chromium contexts by name,
 * their lanes receive, the instructor's class view (/class) shows them with their numbers, a
 * student's page cannot change the feed, and 500 odd names (markup among them) come out as text.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASS_ROUTES, type ClassView, type JoinAnswer } from '../../contract/classroom.js';
import { TRANSPORTS } from '../../contract/index.js';
import { buildApp } from '../../server/app.js';
import { launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB_ROOT = `${ROOT}web/dist`;
const SHOTS = `${ROOT}test-results/screenshots`;
const INSTRUCTOR = 'instructor-token-for-browser-tests-42';
// The second name is markup that would retitle the page if it were ever parsed as HTML.
const STUDENTS = ['Ada', '<img src=x onerror=document.title=1>'];
const TITLE = 'Transport Lab — the class';
const ODD_NAMES = 500;
const SEED = Number(process.env.CLASS_NAMES_SEED ?? 1_729);

let app: FastifyInstance;
let url: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The pages run under the lab's Content-Security-Policy (server/security/headers.ts): no violations.
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) pageErrors.push(message.text());
  });
  return page;
}

async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  if (!existsSync(`${WEB_ROOT}/class.js`))
    execFileSync('node', ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  app = await buildApp({
    webRoot: WEB_ROOT,
    running: true,
    rate: 5,
    // A long leave window: the 500 joined-by-script names below never send a heartbeat.
    classroom: { instructorToken: INSTRUCTOR, joinUrl: null, resultsDir: tmpdir(), leaveAfterMs: 600_000 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;
  app.lab.classroom!.joinUrl = `${url}/`;
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await app?.close();
});

describe('a class in real browsers', () => {
  const students: Page[] = [];
  let classPage: Page;

  it('students join by name; their lanes receive; their feed controls are locked', { timeout: 120_000 }, async () => {
    for (const name of STUDENTS) {
      const page = await newPage();
      await page.goto(`${url}/`);
      await page.waitForSelector('#join:not([hidden])');
      await page.fill('#join-name', name);
      await page.click('#join-form button[type=submit]');
      students.push(page);
    }
    for (const page of students) {
      await page.waitForFunction(
        // Every lane must exist first: `every` over no lanes is true, and before boot() has built them
        // (it awaits the clock measurement) the chat button is still in its page-load state.
        (count) => {
          const lanes = [...document.querySelectorAll<HTMLElement>('.lane[data-transport]')];
          return lanes.length === count && lanes.every((e) => Number(e.dataset.received) >= 3);
        },
        TRANSPORTS.length,
        { timeout: 40_000, polling: 200 },
      );
      expect(await page.isDisabled('#feed-rate')).toBe(true);
      expect(await page.isDisabled('#chat-send')).toBe(true);
      expect(await page.textContent('#class-banner')).toContain('Classroom');
    }
    await students[0]?.screenshot({ path: `${SHOTS}/classroom-student-1280x800.png` });
  });

  it('the class view shows every student with their numbers; names stay text', { timeout: 60_000 }, async () => {
    classPage = await newPage();
    await classPage.goto(`${url}/class?token=${INSTRUCTOR}`);
    expect(new URL(classPage.url()).search).toBe('');
    await classPage.waitForFunction(
      (n) => document.querySelectorAll('#class-students tbody tr').length === n,
      STUDENTS.length,
      { timeout: 40_000, polling: 200 },
    );
    // Wait for every student's reported p50s (the second report onwards carries them all).
    await classPage.waitForFunction(
      () =>
        [...document.querySelectorAll('#class-students tbody td.mono')].every((td) => !td.textContent?.startsWith('–')),
      undefined,
      { timeout: 40_000, polling: 200 },
    );
    const names = await classPage.$$eval('#class-students tbody td.name', (cells) => cells.map((c) => c.textContent));
    expect(names).toEqual(STUDENTS);
    expect(await classPage.$$eval('#class-students img', (images) => images.length)).toBe(0);
    expect(await classPage.title()).toBe(TITLE);
    await classPage.screenshot({ path: `${SHOTS}/classroom-class-view-1280.png`, fullPage: true });
  });

  it('the class view is the sum of the students, and a student page still cannot change the feed', async () => {
    const view = await api<ClassView>('GET', CLASS_ROUTES.view, undefined, INSTRUCTOR);
    expect(view.students).toHaveLength(STUDENTS.length);
    const status = await students[0]?.evaluate(async () => {
      const res = await fetch('/api/feed', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rate: 100 }),
      });
      return res.status;
    });
    expect(status).toBe(403);
  });

  it('a student who puts their lanes on 3g is reported on it and shown behind a slow network', {
    timeout: 60_000,
  }, async () => {
    const page = students[1] as Page;
    await page.waitForSelector('#network-all option[value="3g"]', { state: 'attached', timeout: 20_000 });
    await page.selectOption('#network-all', '3g');
    const name = STUDENTS[1];
    let student: ClassView['students'][number] | undefined;
    // The page reports every CLASS_HEARTBEAT_MS: wait for a report made after the switch.
    for (let tries = 0; tries < 40; tries++) {
      const view = await api<ClassView>('GET', CLASS_ROUTES.view, undefined, INSTRUCTOR);
      student = view.students.find((s) => s.name === name);
      const lanes = Object.values(student?.lanes ?? {});
      if (lanes.length > 0 && lanes.every((lane) => lane?.network === '3g')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(Object.values(student?.lanes ?? {}).map((lane) => lane?.network)).toEqual(
      Object.keys(student?.lanes ?? {}).map(() => '3g'),
    );
    expect(student?.slow).toBe(true);
    const other = (await api<ClassView>('GET', CLASS_ROUTES.view, undefined, INSTRUCTOR)).students.find(
      (s) => s.name === STUDENTS[0],
    );
    expect(Object.values(other?.lanes ?? {}).every((lane) => lane?.network === null)).toBe(true);
  });

  it(`${ODD_NAMES} odd names are escaped everywhere (seed ${SEED}, CLASS_NAMES_SEED replays)`, {
    timeout: 90_000,
  }, async () => {
    const names = fc.sample(
      fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
        .map((s) => `${s.replace(/\p{Cc}/gu, '')}<b>&"'`.trim())
        .filter((s) => s.length > 0 && [...s].length <= 40),
      { numRuns: ODD_NAMES, seed: SEED },
    );
    const joined = await Promise.all(names.map((name) => api<JoinAnswer>('POST', CLASS_ROUTES.join, { name })));
    await classPage.waitForFunction(
      (n) => document.querySelectorAll('#class-students tbody tr').length >= n,
      ODD_NAMES + STUDENTS.length,
      { timeout: 60_000, polling: 250 },
    );
    const shown = await classPage.$$eval('#class-students tbody td.name', (cells) => cells.map((c) => c.textContent));
    for (const s of joined) expect(shown).toContain(s.name);
    expect(await classPage.$$eval('#class-students b, #class-students img', (found) => found.length)).toBe(0);
    expect(await classPage.title()).toBe(TITLE);
    expect(pageErrors).toEqual([]);
  });
});
