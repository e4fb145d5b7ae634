/**
 * The dashboard: four lanes — one real browser client per transport, all on the same feed —
 * plus the combined comparison, the WebSocket corner (chat, echo, handshake inspector) and the
 * wire logs. Measures the clock offset first, so every event age is honest from the first message.
 */
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import { Chat } from './chat.js';
import { Comparison } from './comparison.js';
import { FeedControls } from './controls.js';
import { h, must, setText } from './dom.js';
import { Echo } from './echo.js';
import { ms, signedMs } from './format.js';
import { HandshakeInspector } from './handshake.js';
import { Lane } from './lane.js';
import { LaneView } from './lane-view.js';
import { networkProfiles } from './network.js';
import { ServerClock } from './server-clock.js';
import { openStatsStream } from './stats-stream.js';
import { WireLogView } from './wire-log.js';
import { WebSocketApiPanel } from './ws-api.js';

const RENDER_EVERY_MS = 250;

/** Per-tab client ids (`dash-k3f9-sse`): several tabs never mix their counters. */
const tabTag = Math.random().toString(36).slice(2, 6).padEnd(4, '0');

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(text: string): void {
  const element = must('#toast');
  setText(element, text);
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    element.hidden = true;
  }, 6_000);
}

function showClock(clock: ServerClock): void {
  const estimate = clock.current;
  const out = must('#clock-offset');
  if (estimate === null) {
    setText(out, 'clock offset not measured (ages use the local clock)');
    return;
  }
  setText(
    out,
    `server clock ${signedMs(estimate.offsetMs)} from this browser (±${ms(estimate.rttMs / 2)}; best RTT ${ms(estimate.rttMs)} of ${estimate.samples.length})`,
  );
}

function makeLane<T extends TransportName>(transport: T, clock: ServerClock): Lane<T> {
  return new Lane(transport, {
    baseUrl: location.origin, // direct; a network selector points it at a shaping listener
    clientId: `dash-${tabTag}-${transport}`,
    resume: true,
    pollIntervalMs: 1_000,
    longPollTimeoutMs: 25_000,
    now: clock.now,
    // Called as a plain function: a browser's fetch throws "Illegal invocation" when called as a method.
    fetch: (url, init) => fetch(url, init),
    EventSource,
    WebSocket,
  });
}

async function boot(): Promise<void> {
  const clock = new ServerClock();
  const controls = new FeedControls(toast);
  setText(must('#clock-offset'), 'measuring the clock offset…');
  try {
    await clock.measure();
  } catch (error) {
    toast(`Clock offset not measured: ${(error as Error).message}`);
  }
  showClock(clock);
  must<HTMLButtonElement>('#clock-remeasure').addEventListener('click', () => {
    clock.measure().then(
      () => showClock(clock),
      (error: unknown) => toast(`Clock offset not measured: ${(error as Error).message}`),
    );
  });

  const wsLane = makeLane('websocket', clock);
  const lanes: Lane[] = TRANSPORTS.map((t) => (t === 'websocket' ? wsLane : makeLane(t, clock)));
  const views = lanes.map((lane) => new LaneView(lane, toast, () => controls.current));
  // Networks: one selector per lane, and one for all of them in the header.
  const allNetworks = must<HTMLSelectElement>('#network-all');
  networkProfiles().then(
    (profiles) => {
      for (const p of profiles)
        allNetworks.append(h('option', { value: p.name, title: `${p.label} — ${p.source}` }, p.name));
      for (const view of views) view.setNetworkChoices(profiles);
    },
    (error: unknown) => toast(`Network profiles not loaded: ${(error as Error).message}`),
  );
  allNetworks.addEventListener('change', () => {
    const name = allNetworks.value;
    if (name === '') return;
    void Promise.all(views.map((v) => v.chooseNetwork(name)));
  });
  must('#lanes').replaceChildren(...views.map((v) => v.element));
  const wireViews = lanes.map((lane) => new WireLogView(lane.transport, lane.wire));
  must('#wire-logs').replaceChildren(...wireViews.map((v) => v.element));

  const comparison = new Comparison(lanes);
  new Chat(lanes, wsLane);
  const echo = new Echo(wsLane, clock);
  new HandshakeInspector(wsLane, must('#handshake'));
  const wsOrigin = location.origin.replace(/^http/, 'ws');
  new WebSocketApiPanel(`${wsOrigin}/api/ws?client=api-${tabTag}`);

  const statsHealth = must('#stats-health');
  const stats = openStatsStream(
    lanes.map((l) => l.clientId),
    (event) => {
      for (const lane of lanes) {
        const counters = event.clients[lane.clientId]?.transports[lane.transport];
        if (counters !== undefined) lane.updateServerCounters(counters);
      }
    },
    (ok) => {
      setText(statsHealth, ok ? 'wire counters live' : 'wire counters reconnecting…');
      statsHealth.dataset.ok = String(ok);
    },
  );

  must<HTMLButtonElement>('#reset-numbers').addEventListener('click', () => {
    for (const lane of lanes) lane.resetNumbers();
  });
  try {
    await controls.load();
  } catch (error) {
    toast((error as Error).message);
  }
  for (const lane of lanes) lane.connect();
  setTimeout(() => {
    clock.refine().then(
      () => showClock(clock),
      () => {},
    );
  }, 3_000);

  let tick = 0;
  setInterval(() => {
    tick++;
    const now = clock.now();
    for (const view of views) view.render();
    for (const view of wireViews) view.render();
    if (tick % 2 === 0) {
      for (const view of views) view.renderChart(now);
      comparison.renderTimeline(now);
    }
    if (tick % 4 === 0) {
      comparison.render();
      echo.render();
    }
  }, RENDER_EVERY_MS);

  // Close politely when the tab goes: WebSocket 1000, EventSources closed, polls aborted.
  window.addEventListener('pagehide', () => {
    for (const lane of lanes) lane.disconnect();
    stats.close();
  });
  document.body.dataset.ready = 'true';
}

boot().catch((error: unknown) => {
  toast(`The dashboard failed to start: ${(error as Error).message}`);
  throw error;
});
