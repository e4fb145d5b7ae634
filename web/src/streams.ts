/**
 * "Open N streams": N EventSources, or N long polls, on this page's own origin. Over HTTP/1.1 a
 * browser gives an origin six connections and a stream holds one until it ends, so the seventh
 * waits; over HTTP/2 they are streams of one connection and all connect.
 *
 * What is shown is counted, not timed: an EventSource is "connected" once its `open` event came
 * (its response headers arrived); a long poll "waited for a connection" when, per Resource Timing,
 * its request could only start after another long poll's response had ended. `?run=sse|long-poll&n=8`
 * starts a run at once (the browser test uses that).
 */
import { h, must, setText } from './dom.js';

/**
 * How long the server holds each long poll. "Waited" compares request starts with the first
 * answer's end, so the hold must be far longer than a busy browser takes to send six requests:
 * at 2 s, a full CI run (Chromium beside the whole suite) once started a sixth poll late enough
 * to count it as waiting.
 */
const LONG_POLL_TIMEOUT_MS = 5_000;
const tag = Math.random().toString(36).slice(2, 6).padEnd(4, '0');

interface Row {
  kind: 'sse' | 'long-poll';
  index: number;
  url: string;
  state: 'queued' | 'connected' | 'answered' | 'failed';
  source?: EventSource;
  /** Long poll: it could start only after another one ended. */
  waited?: boolean;
  queuedMs?: number;
  protocol?: string;
}

let rows: Row[] = [];
let runId = 0;

const pageProtocol = (): string =>
  (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.nextHopProtocol ||
  'unknown';

function render(): void {
  const table = must<HTMLTableElement>('#streams-table');
  table.replaceChildren(
    h(
      'tr',
      {},
      h('th', {}, '#'),
      h('th', {}, 'kind'),
      h('th', {}, 'state'),
      h('th', {}, 'protocol'),
      h('th', {}, 'queued'),
    ),
    ...rows.map((row) =>
      h(
        'tr',
        {
          'data-state': row.state,
          'data-kind': row.kind,
          'data-waited': row.waited === undefined ? null : String(row.waited),
        },
        h('td', {}, String(row.index + 1)),
        h('td', {}, row.kind === 'sse' ? 'EventSource' : 'long poll'),
        h(
          'td',
          { class: `stream-state stream-${row.state}` },
          row.state === 'queued' ? 'queued (no connection yet)' : row.state,
        ),
        h('td', { class: 'mono' }, row.protocol ?? ''),
        h(
          'td',
          { class: 'mono' },
          row.queuedMs === undefined
            ? ''
            : `${Math.round(row.queuedMs)} ms${row.waited ? ' — waited for a free connection' : ''}`,
        ),
      ),
    ),
  );
  const summary = must('#streams-summary');
  if (rows.length === 0) {
    setText(summary, 'Nothing open yet.');
    return;
  }
  const kind = rows[0]?.kind;
  if (kind === 'sse') {
    const connected = rows.filter((r) => r.state === 'connected').length;
    setText(
      summary,
      `${connected} of ${rows.length} EventSources connected, ${rows.length - connected} queued (page over ${pageProtocol()}).`,
    );
    summary.dataset.connected = String(connected);
  } else {
    const done = rows.filter((r) => r.state === 'answered').length;
    const waited = rows.filter((r) => r.waited).length;
    setText(
      summary,
      done < rows.length
        ? `${done} of ${rows.length} long polls answered so far (each is held ${LONG_POLL_TIMEOUT_MS / 1000} s)…`
        : `${rows.length - waited} of ${rows.length} long polls were sent at once, ${waited} waited for a free connection (page over ${pageProtocol()}).`,
    );
    summary.dataset.waited = done < rows.length ? '' : String(waited);
  }
  summary.dataset.kind = kind ?? '';
}

function closeAll(): void {
  runId += 1;
  for (const row of rows) row.source?.close();
  rows = [];
  render();
}

function openEventSources(n: number): void {
  closeAll();
  rows = Array.from({ length: n }, (_, index) => {
    const url = `/api/sse?client=streams-${tag}-sse${index}`;
    const row: Row = { kind: 'sse', index, url, state: 'queued' };
    const source = new EventSource(url);
    source.onopen = () => {
      row.state = 'connected';
      row.protocol = pageProtocol();
      render();
    };
    row.source = source;
    return row;
  });
  render();
}

async function openLongPolls(n: number): Promise<void> {
  closeAll();
  const run = runId;
  performance.clearResourceTimings();
  rows = Array.from({ length: n }, (_, index) => ({
    kind: 'long-poll' as const,
    index,
    url: `${location.origin}/api/long-poll?timeout=${LONG_POLL_TIMEOUT_MS}&client=streams-${tag}-lp${index}&run=${run}`,
    state: 'queued' as const,
  }));
  render();
  await Promise.all(
    rows.map(async (row) => {
      try {
        const res = await fetch(row.url, { cache: 'no-store' });
        await res.text();
        if (run === runId) row.state = res.ok ? 'answered' : 'failed';
      } catch {
        if (run === runId) row.state = 'failed';
      }
      render();
    }),
  );
  if (run !== runId) return;
  // Resource Timing, once every response ended: which requests could only start after another ended.
  const entries = new Map(
    (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => [e.name, e]),
  );
  const timings = rows.map((row) => entries.get(row.url));
  const firstEnd = Math.min(...timings.map((t) => t?.responseEnd ?? Number.POSITIVE_INFINITY));
  rows.forEach((row, i) => {
    const timing = timings[i];
    if (!timing) return;
    row.protocol = timing.nextHopProtocol;
    row.queuedMs = timing.requestStart - timing.startTime;
    row.waited = timing.requestStart >= firstEnd;
  });
  render();
}

function start(): void {
  setText(must('#streams-protocol'), pageProtocol());
  const input = must<HTMLInputElement>('#streams-n');
  const n = () => Math.max(1, Math.min(50, Number(input.value) || 8));
  must('#streams-sse').addEventListener('click', () => openEventSources(n()));
  must('#streams-lp').addEventListener('click', () => void openLongPolls(n()));
  must('#streams-close').addEventListener('click', closeAll);
  window.addEventListener('pagehide', closeAll);
  fetch('/api/endpoints')
    .then((res) => res.json() as Promise<{ http: number | null; https: number | null }>)
    .then((ports) => {
      const secure = location.protocol === 'https:';
      const port = secure ? ports.http : ports.https;
      const other = port === null ? null : `${secure ? 'http' : 'https'}://${location.hostname}:${port}`;
      const label = location.protocol === 'https:' ? 'over HTTP/1.1 (http://)' : 'over HTTP/2 (https://)';
      if (other) {
        must('#streams-other').replaceChildren(
          'Run it the other way: ',
          h('a', { href: `${other}/streams.html` }, `this page ${label}`),
        );
      }
    })
    .catch(() => {});
  const params = new URLSearchParams(location.search);
  const preset = params.get('n');
  if (preset) input.value = preset;
  if (params.get('run') === 'sse') openEventSources(n());
  if (params.get('run') === 'long-poll') void openLongPolls(n());
  document.body.dataset.ready = 'true';
}

start();
