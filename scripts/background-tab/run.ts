/**
 * What Chromium does to the dashboard's short poller in a hidden tab (Lab 8, "Background tabs").
 *
 * Chrome 88's timer throttling (developer.chrome.com/blog/timer-throttling-in-chrome-88): in a
 * hidden page timers wake at most once a second, aligned; after a grace period hidden (5 minutes in
 * that post; the reference run shows how long in the Chromium measured), a *chained* timer
 * (setTimeout called from a setTimeout callback, 5 or more deep) wakes at most once a minute
 * ("intensive" throttling). The lab's short poller re-arms its timer after an awaited fetch, from a
 * network task, so its chain never grows. This script measures both in a real Chromium:
 *
 * - the dashboard (its short-poll lane polls every 1 s): polls per minute counted at the server
 *   (`/api/stats` → short-poll requests; the tab is the only client);
 * - beside it in the same page, a plain chained `setTimeout(tick, 1000)`: ticks per minute.
 *
 * One minute visible, then a second tab is opened in front of it (the dashboard then reports
 * `document.visibilityState === 'hidden'`, checked) for `--hidden` minutes. Headless Chromium
 * reports every page visible, so this runs Debian's Chromium headed, on a virtual X display
 * (xvfb-run), driven over the DevTools protocol directly: Playwright would turn throttling off and
 * emulate focus. `--grace S` passes `IntensiveWakeUpThrottling:grace_period_seconds/S` to set
 * the grace period for a quick look; the committed reference uses the browser's default.
 *
 *   npm run bench:background-tab -- [--hidden 8] [--grace 300] [--no-write]
 *
 * Writes results/background-tab/<time>/summary.json and results/background-tab/latest.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { StatsResponse } from '../../contract/index.js';
import { machineInfo } from '../../scenarios/machine.js';
import { folderName } from '../../scenarios/output.js';
import { requireSystemTool } from '../../test/system-tool.js';
import { ROOT, startLabServer } from '../../tools/child-process.js';

const { values } = parseArgs({
  options: {
    hidden: { type: 'string', default: '8' },
    grace: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const hiddenMinutes = Number(values.hidden);
const graceSeconds = values.grace === undefined ? undefined : Number(values.grace);
if (!Number.isInteger(hiddenMinutes) || hiddenMinutes < 1 || hiddenMinutes > 30) {
  throw new Error('--hidden: whole minutes, 1–30');
}
if (graceSeconds !== undefined && (!Number.isInteger(graceSeconds) || graceSeconds < 0)) {
  throw new Error('--grace: whole seconds ≥ 0');
}
const MINUTE_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Minute {
  /** Minutes since the tab was hidden (0 = the visible minute before). */
  minute: number;
  visibility: string;
  /** Short polls the dashboard's lane made in this minute (server-side count). */
  shortPolls: number;
  /** Wake-ups of the chained 1 s timer in this minute (page-side count). */
  chainedTicks: number;
}

/** One DevTools `Runtime.evaluate` in a page, over its own short-lived connection. */
function evaluate(debuggerUrl: string, expression: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(debuggerUrl);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`DevTools did not answer: ${expression}`));
    }, 30_000);
    ws.on('open', () =>
      ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, returnByValue: true } })),
    );
    ws.on('message', (data) => {
      const reply = JSON.parse(String(data)) as { id?: number; result?: { result?: { value?: unknown } } };
      if (reply.id !== 1) return;
      clearTimeout(timer);
      ws.close();
      resolve(reply.result?.result?.value);
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const startedAt = new Date().toISOString();
const loadAtStart = loadavg();
const server = await startLabServer();
const profile = mkdtempSync(join(tmpdir(), 'background-tab-'));
let browser: ChildProcess | undefined;
try {
  browser = spawn(
    requireSystemTool('xvfb-run'),
    [
      '-a',
      requireSystemTool('chromium'),
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      ...(graceSeconds === undefined
        ? []
        : [`--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/${graceSeconds}`]),
      server.url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const devtools = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${output.slice(-2000)}`)), 60_000);
    browser?.stderr?.on('data', (chunk) => {
      output += chunk;
      const match = /DevTools listening on ws:\/\/([^/\s]+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    });
  });
  await sleep(5_000);
  const pages = (await (await fetch(`${devtools}/json/list`)).json()) as {
    type: string;
    url: string;
    webSocketDebuggerUrl: string;
  }[];
  const dashboard = pages.find((page) => page.type === 'page' && page.url.startsWith(server.url));
  if (!dashboard) throw new Error(`no dashboard tab among ${JSON.stringify(pages.map((p) => p.url))}`);
  await evaluate(
    dashboard.webSocketDebuggerUrl,
    'window.chainedTicks = 0; const tick = () => { window.chainedTicks++; setTimeout(tick, 1000); }; setTimeout(tick, 1000); 1',
  );
  const version = ((await (await fetch(`${devtools}/json/version`)).json()) as { Browser: string }).Browser;

  const shortPollRequests = async () =>
    ((await (await fetch(`${server.url}/api/stats`)).json()) as StatsResponse).transports['short-poll'].requests;
  const minutes: Minute[] = [];
  let polls = await shortPollRequests();
  let ticks = 0;
  const sample = async (minute: number) => {
    await sleep(MINUTE_MS);
    const nowPolls = await shortPollRequests();
    // Runs as a task of its own: reading the counter wakes none of the page's timers.
    const [nowTicks, visibility] = (await evaluate(
      dashboard.webSocketDebuggerUrl,
      '[window.chainedTicks, document.visibilityState]',
    )) as [number, string];
    const row = { minute, visibility, shortPolls: nowPolls - polls, chainedTicks: nowTicks - ticks };
    minutes.push(row);
    polls = nowPolls;
    ticks = nowTicks;
    process.stderr.write(
      `minute ${String(minute).padStart(2)}  ${visibility.padEnd(7)}  short polls ${String(row.shortPolls).padStart(3)}` +
        `  chained 1 s timer ${String(row.chainedTicks).padStart(3)}\n`,
    );
  };
  await sample(0);
  // A new tab in front of the dashboard, in the same window: the dashboard is now a background tab.
  await fetch(`${devtools}/json/new?about:blank`, { method: 'PUT' });
  await sleep(1_000);
  const state = await evaluate(dashboard.webSocketDebuggerUrl, 'document.visibilityState');
  if (state !== 'hidden') throw new Error(`the dashboard should be a hidden background tab, is ${String(state)}`);
  for (let minute = 1; minute <= hiddenMinutes; minute++) await sample(minute);

  const summary = {
    scenario: 'background-tab',
    startedAt,
    command: `npm run bench:background-tab -- --hidden ${hiddenMinutes}${graceSeconds === undefined ? '' : ` --grace ${graceSeconds}`}`,
    machine: { ...machineInfo(), loadAverageAtStart: loadAtStart },
    chromium: version,
    // null: the browser's own default (not set by this run).
    gracePeriodSeconds: graceSeconds ?? null,
    pollIntervalMs: 1000,
    minutes,
    visible: minutes[0],
    // The last minute hidden: past the grace period when --hidden exceeds it.
    lastHidden: minutes[minutes.length - 1],
  };
  if (!values['no-write']) {
    const name = folderName(startedAt);
    const dir = join(ROOT, 'results', 'background-tab', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const latest = { scenario: 'background-tab', timestamp: name, startedAt, summary: `${name}/summary.json` };
    writeFileSync(join(ROOT, 'results', 'background-tab', 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
    process.stderr.write(`wrote results/background-tab/${name}/summary.json\n`);
  }
} finally {
  // xvfb-run, Xvfb and Chromium are one process group (detached): end them together.
  if (browser?.pid !== undefined) {
    try {
      process.kill(-browser.pid, 'SIGTERM');
    } catch {}
  }
  await server.stop();
  await sleep(1_000);
  rmSync(profile, { recursive: true, force: true });
}
