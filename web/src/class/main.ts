/**
 * The class view (/class, instructor only): asks GET /api/class once a second with the instructor's
 * token and draws the whole class. The charts are the ones a class export renders into its
 * report (charts/class.ts), so the live page and the report show the same thing.
 * Every student-given string reaches the page as text (textContent), never as markup.
 */
import { Chart, type ChartConfiguration } from 'chart.js';
import { type ClassRun, classExperimentsChart, classSpreadChart } from '../../../charts/class.js';
import { CLASS_ROUTES, type ClassView } from '../../../contract/classroom.js';
import { TRANSPORT_COLORS, TRANSPORTS } from '../../../contract/index.js';
import { api } from '../api.js';
import '../charts.js';
import { instructorToken, showClassBanner } from '../classroom.js';
import { h, must, setText } from '../dom.js';
import { bytes, ms } from '../format.js';

const EVERY_MS = 1_000;

/** The part of a summary the class charts read, from the live view. */
function liveSummary(view: ClassView): ClassRun {
  return {
    scenario: 'class (live)',
    startedAt: new Date(view.at).toISOString(),
    class: { students: view.students, experiments: view.experiments },
  };
}

class LiveChart {
  private chart: Chart | null = null;
  private type: string | null = null;
  constructor(private readonly canvas: HTMLCanvasElement) {}
  show(config: ChartConfiguration | null): void {
    if (config === null) return;
    const options = { ...config.options, responsive: true, maintainAspectRatio: false };
    if (this.chart === null || this.type !== config.type) {
      this.type = config.type;
      this.chart?.destroy();
      this.chart = new Chart(this.canvas, { ...config, options } as ChartConfiguration);
      return;
    }
    this.chart.data = config.data;
    this.chart.options = options;
    this.chart.update('none');
  }
}

const fixed = (value: number | null | undefined, digits = 1) => (value == null ? '–' : value.toFixed(digits));

function renderCounts(view: ClassView): void {
  const counts = TRANSPORTS.map((t) =>
    h('span', { style: `color: ${TRANSPORT_COLORS[t]}` }, `${t}: ${view.transports[t]?.students ?? 0}`),
  );
  must('#class-counts').replaceChildren(h('strong', {}, `${view.students.length} students`), ...counts);
  const slow = view.students.filter((s) => s.slow);
  setText(
    must('#class-slow'),
    slow.length === 0
      ? 'Nobody is behind a slow network (best round trip over 100 ms, or a lane on a shaped network).'
      : `Behind a slow network: ${slow.map((s) => `${s.name} (${fixed(s.rttMs)} ms RTT)`).join(', ')}`,
  );
}

function renderCost(view: ClassView): void {
  const head = h(
    'tr',
    {},
    ...['transport', 'students', 'messages', 'bytes / msg', 'requests / msg', 'lost', 'duplicated'].map((t) =>
      h('th', {}, t),
    ),
  );
  const rows = TRANSPORTS.flatMap((t) => {
    const row = view.transports[t];
    if (row === undefined) return [];
    return [
      h(
        'tr',
        {},
        h('td', { style: `color: ${TRANSPORT_COLORS[t]}` }, t),
        h('td', { class: 'num' }, String(row.students)),
        h('td', { class: 'num' }, row.server.messages.toLocaleString('en-US')),
        h('td', { class: 'num' }, row.bytesPerMessage === null ? '–' : bytes(row.bytesPerMessage)),
        h('td', { class: 'num' }, fixed(row.requestsPerMessage, 2)),
        h('td', { class: row.lost > 0 ? 'num bad' : 'num' }, String(row.lost)),
        h('td', { class: row.duplicated > 0 ? 'num bad' : 'num' }, String(row.duplicated)),
      ),
    ];
  });
  must('#class-cost').replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
}

function renderStudents(view: ClassView): void {
  const used = TRANSPORTS.filter((t) => view.transports[t] !== undefined);
  const head = h(
    'tr',
    {},
    h('th', {}, 'name'),
    h('th', { class: 'num' }, 'RTT'),
    ...used.map((t) => h('th', { class: 'num', style: `color: ${TRANSPORT_COLORS[t]}` }, `${t} p50 / p99`)),
    h('th', { class: 'num' }, 'lost'),
    h('th', { class: 'num' }, 'dup'),
  );
  const rows = view.students.map((s) => {
    const lanes = Object.values(s.lanes);
    return h(
      'tr',
      { class: s.slow ? 'slow' : undefined },
      h('td', { class: 'name', title: s.name }, s.name),
      h('td', { class: 'num' }, s.rttMs === null ? '–' : ms(s.rttMs)),
      ...used.map((t) => {
        const lane = s.lanes[t];
        return h('td', { class: 'num mono' }, lane === undefined ? '–' : `${fixed(lane.p50)} / ${fixed(lane.p99)}`);
      }),
      h('td', { class: 'num' }, String(lanes.reduce((sum, l) => sum + l.lost, 0))),
      h('td', { class: 'num' }, String(lanes.reduce((sum, l) => sum + l.duplicated, 0))),
    );
  });
  must('#class-students').replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
}

async function boot(): Promise<void> {
  const token = instructorToken();
  const status = must('#class-status');
  if (token === null) {
    setText(status, 'instructor only: open the class view link printed when the lab started (/class?token=…)');
    status.dataset.ok = 'false';
    return;
  }
  api.actWithToken(token);
  const spread = new LiveChart(must<HTMLCanvasElement>('#chart-spread'));
  const experiments = new LiveChart(must<HTMLCanvasElement>('#chart-experiments'));
  const note = must('#class-note');
  const act = (what: string, method: string, path: string, body?: unknown) =>
    api.call<unknown>(method, path, body).then(
      (answer) => setText(note, `${what}: ${JSON.stringify(answer).slice(0, 200)}`),
      (error: unknown) => setText(note, `${what} failed: ${(error as Error).message}`),
    );
  must('#exp-cut').addEventListener(
    'click',
    () => void act('everyone cut', 'POST', CLASS_ROUTES.experiment, { kind: 'cut-all' }),
  );
  must('#exp-rate-go').addEventListener('click', () => {
    const rate = Number(must<HTMLInputElement>('#exp-rate').value);
    void act('feed switched', 'POST', CLASS_ROUTES.experiment, { kind: 'rate', rate });
  });
  must('#class-reset').addEventListener('click', () => void act('class reset', 'POST', CLASS_ROUTES.reset));
  must('#class-export').addEventListener('click', () => void act('exported', 'POST', CLASS_ROUTES.export));

  let bannerShown = false;
  const refresh = async () => {
    try {
      const view = await api.call<ClassView>('GET', CLASS_ROUTES.view);
      setText(status, `live · ${new Date(view.at).toLocaleTimeString()}`);
      status.dataset.ok = 'true';
      if (!bannerShown) {
        showClassBanner({ kind: 'instructor', token, joinUrl: view.joinUrl });
        bannerShown = true;
      }
      renderCounts(view);
      renderCost(view);
      renderStudents(view);
      const summary = liveSummary(view);
      spread.show(classSpreadChart(summary)?.config ?? null);
      experiments.show(classExperimentsChart(summary)?.config ?? null);
    } catch (error) {
      setText(status, `not live: ${(error as Error).message}`);
      status.dataset.ok = 'false';
    }
  };
  await refresh();
  setInterval(() => void refresh(), EVERY_MS);
  document.body.dataset.ready = 'true';
}

void boot();
