/**
 * A lane's card: its state and controls, the delivery audit, event ages, the server's byte and
 * request counters for this client id, bytes per message beside the protocol floor, a live
 * chart and the last chat line. Carries `data-transport` and live `data-received`,
 * `data-lost`, `data-duplicates`, `data-resets`, `data-reconnects`, `data-state` for tests and
 * curious students.
 */
import { LONG_POLL_TIMEOUT } from '../../contract/index.js';
import { ageChart, agePoints, type Chart } from './charts.js';
import { describeFloor, laneCost } from './cost.js';
import { h, setAttr, setText } from './dom.js';
import { bytes, count, ms, percent, perMessage } from './format.js';
import { type Lane, type LaneState, SERIES_WINDOW_MS } from './lane.js';
import { TRANSPORT_COLORS, TRANSPORT_HELP, TRANSPORT_LABELS, TRANSPORT_ROUTE, withAlpha } from './transports.js';

const STATE_TEXT: Record<LaneState, string> = {
  idle: 'idle',
  connecting: 'connecting',
  open: 'open',
  waiting: 'waiting',
  closed: 'closed',
  off: 'disconnected',
};

const POLL_INTERVALS = [250, 500, 1_000, 2_000, 5_000];
const LONG_POLL_TIMEOUTS = [1_000, 5_000, 10_000, 25_000, LONG_POLL_TIMEOUT.max];

type Metric =
  | 'received'
  | 'seq'
  | 'lost'
  | 'duplicates'
  | 'resets'
  | 'reconnects'
  | 'p50'
  | 'p99'
  | 'requests'
  | 'empty'
  | 'up'
  | 'down';

export class LaneView {
  readonly element: HTMLElement;
  private readonly stateBadge: HTMLElement;
  private readonly connectButton: HTMLButtonElement;
  private readonly cutButton: HTMLButtonElement;
  private readonly values = new Map<Metric, HTMLElement>();
  private readonly perMessage: HTMLElement;
  private readonly barPayload: HTMLElement;
  private readonly barOverhead: HTMLElement;
  private readonly barFloor: HTMLElement;
  private readonly chatLine: HTMLElement;
  private readonly noteLine: HTMLElement;
  private readonly chart: Chart<'scatter', { x: number; y: number }[]>;
  private noteTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly servedLine: HTMLElement;

  constructor(
    private readonly lane: Lane,
    private readonly toast: (text: string) => void,
  ) {
    const t = lane.transport;
    const color = TRANSPORT_COLORS[t];
    this.stateBadge = h('span', { class: 'state', 'data-role': 'state' });
    // Empty unless the lab runs behind a balancer (npm run cluster): then, who served this lane.
    this.servedLine = h('p', { class: 'lane-served mono', 'data-role': 'served' });
    this.connectButton = h('button', { type: 'button', 'data-action': 'connect' }, 'Disconnect');
    this.cutButton = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'data-action': 'cut',
        title: 'Drop this lane’s TCP connection abruptly (the server destroys the socket)',
      },
      'CUT',
    );
    const resume = h('input', { type: 'checkbox', 'data-action': 'resume', checked: lane.resume });
    resume.addEventListener('change', () => {
      lane.resume = resume.checked;
    });
    this.connectButton.addEventListener('click', () => (lane.connected ? lane.disconnect() : lane.connect()));
    this.cutButton.addEventListener('click', () => {
      lane.cut().catch((error: unknown) => this.toast(`CUT failed: ${(error as Error).message}`));
    });

    const metric = (key: Metric, label: string, title: string) => {
      const dd = h('dd', { 'data-role': key }, '—');
      this.values.set(key, dd);
      return h('div', { class: `metric metric-${key}`, title }, h('dt', {}, label), dd);
    };

    this.barPayload = h('span', { class: 'bar-payload' });
    this.barOverhead = h('span', { class: 'bar-overhead' });
    this.barFloor = h('span', { class: 'bar-floor', title: 'payload + protocol floor' });
    this.perMessage = h('p', { class: 'per-message-text' }, 'waiting for the first message…');
    this.chatLine = h(
      'p',
      { class: 'lane-chat', 'data-role': 'chat' },
      h('span', { class: 'muted' }, 'no chat yet — send one below'),
    );
    this.noteLine = h('p', { class: 'lane-note', 'data-role': 'note' });
    const canvas = h('canvas', { 'aria-label': `${TRANSPORT_LABELS[t]}: event age of each message, last minute` });

    this.element = h(
      'article',
      { class: 'lane', 'data-transport': t, style: `--lane: ${color}; --lane-soft: ${withAlpha(color, 0.12)}` },
      h(
        'header',
        { class: 'lane-head' },
        h('h2', {}, TRANSPORT_LABELS[t]),
        this.stateBadge,
        h('p', { class: 'route mono' }, TRANSPORT_ROUTE[t]),
      ),
      this.servedLine,
      h('p', { class: 'lane-help' }, TRANSPORT_HELP[t]),
      h(
        'div',
        { class: 'lane-controls' },
        this.connectButton,
        this.cutButton,
        h(
          'label',
          {
            class: 'switch',
            title: 'On a reconnect, send the last seq we have (resume) or come back live-only and lose what was missed',
          },
          resume,
          ' resume from cursor',
        ),
      ),
      this.settingsRow(),
      h(
        'dl',
        { class: 'metrics' },
        metric('received', 'received', 'Feed messages this lane received (duplicates included)'),
        metric('seq', 'last seq', 'epoch:seq of the last message'),
        metric('reconnects', 'reconnects', 'Times the client had to connect again (cuts, errors)'),
        metric('lost', 'lost', 'Holes in seq: messages that never arrived (plus those a reset said were missed)'),
        metric('duplicates', 'duplicated', 'A seq received a second time'),
        metric('resets', 'resets', 'The server could not honour the cursor and said so'),
        metric(
          'p50',
          'age p50',
          'Median event age: receive time − publish time, clocks aligned by the offset in the header',
        ),
        metric('p99', 'age p99', '99th percentile event age'),
        metric(
          'requests',
          'requests',
          'HTTP requests the server received from this lane (the WebSocket upgrade and the SSE request count as one)',
        ),
        metric('empty', 'empty', 'Poll answers that carried no message'),
        metric(
          'up',
          'bytes ↑',
          'Bytes from this lane to the server, counted at the server’s TCP socket: headers, framing, masks, everything',
        ),
        metric('down', 'bytes ↓', 'Bytes from the server to this lane, counted at the TCP socket'),
      ),
      h(
        'div',
        { class: 'per-message' },
        h('p', { class: 'per-message-title' }, 'bytes per message'),
        h('div', { class: 'bar', 'aria-hidden': 'true' }, this.barPayload, this.barOverhead, this.barFloor),
        this.perMessage,
      ),
      h('div', { class: 'lane-chart' }, canvas),
      this.chatLine,
      this.noteLine,
    );

    this.chart = ageChart(
      canvas,
      [
        {
          label: TRANSPORT_LABELS[t],
          data: [],
          backgroundColor: withAlpha(color, 0.7),
          borderColor: color,
          pointRadius: 2,
          pointHoverRadius: 4,
        },
      ],
      { log: false, legend: false, windowS: SERIES_WINDOW_MS / 1000 },
    );

    lane.on('state', () => this.renderState());
    lane.on('note', (text, tone) => this.note(text, tone));
    lane.on('chat', (line, message, age) => {
      this.chatLine.replaceChildren(
        h('span', { class: 'chat-from' }, `${line.from}: `),
        h('span', { class: 'chat-text' }, line.text),
        h('span', { class: 'muted' }, ` · #${message.seq} · ${ms(age)} old`),
      );
    });
    this.renderState();
  }

  /** Four times a second: numbers and data attributes. */
  render(): void {
    const lane = this.lane;
    const audit = lane.audit.snapshot();
    const el = this.element;
    setAttr(el, 'data-received', String(lane.received));
    setAttr(el, 'data-lost', String(audit.lost));
    setAttr(el, 'data-duplicates', String(audit.duplicates));
    setAttr(el, 'data-resets', String(audit.resets));
    setAttr(el, 'data-reconnects', String(lane.reconnects));
    this.renderState();
    if (lane.servedBy !== null) {
      const seen = [...lane.servedCounts].map(([name, n]) => `${name} ×${n}`).join(', ');
      setText(this.servedLine, `served by ${lane.servedBy} · so far: ${seen}`);
      setAttr(el, 'data-served-by', lane.servedBy);
    }

    const last = lane.lastMessage;
    this.set('received', count(lane.received));
    this.set('seq', last === null ? '—' : `#${count(last.seq)}`);
    setAttr(
      this.values.get('seq') as HTMLElement,
      'title',
      last === null ? '' : `epoch ${last.epoch}, seq ${last.seq}`,
    );
    this.set('reconnects', count(lane.reconnects));
    this.set('lost', count(audit.lost), audit.lost > 0 ? 'bad' : '');
    this.set('duplicates', count(audit.duplicates), audit.duplicates > 0 ? 'bad' : '');
    this.set('resets', count(audit.resets), audit.resets > 0 ? 'warn' : '');
    const latency = lane.latency.summary();
    this.set('p50', latency.count === 0 ? '—' : ms(latency.p50));
    if (lane.latency.negative > 0) {
      // Ages below zero are recorded as 0: say so instead of letting them pass for fast deliveries.
      this.set('p50', `${latency.count === 0 ? '—' : ms(latency.p50)}*`, 'warn');
      setAttr(
        this.values.get('p50') as HTMLElement,
        'title',
        `${lane.latency.negative} ages came out below zero and count as 0: the clock offset is off by more than these latencies (re-measure it)`,
      );
    }
    this.set('p99', latency.count === 0 ? '—' : ms(latency.p99));

    const counters = lane.counters();
    this.set('requests', counters === null ? '—' : count(counters.requests));
    const polls = lane.transport === 'short-poll' || lane.transport === 'long-poll';
    this.set('empty', counters === null ? '—' : polls ? count(counters.emptyResponses) : 'n/a');
    this.set('up', counters === null ? '—' : bytes(counters.bytesIn));
    this.set('down', counters === null ? '—' : bytes(counters.bytesOut));

    const cost = counters === null ? null : laneCost(lane.transport, counters, { epoch: last?.epoch, seq: last?.seq });
    if (cost === null) {
      setText(this.perMessage, 'waiting for the first message…');
      return;
    }
    const floorWire = cost.payloadPerMessage + cost.floor.total;
    const scale = Math.max(cost.wirePerMessage, floorWire);
    this.barPayload.style.width = `${(100 * cost.payloadPerMessage) / scale}%`;
    this.barOverhead.style.width = `${(100 * Math.max(0, cost.overheadPerMessage)) / scale}%`;
    this.barFloor.style.left = `${(100 * floorWire) / scale}%`;
    const empty = cost.emptyShare === null ? '' : ` · ${percent(cost.emptyShare)} of answers empty`;
    setText(
      this.perMessage,
      `${bytes(cost.payloadPerMessage)} payload + ${bytes(cost.overheadPerMessage)} overhead = ${bytes(cost.wirePerMessage)} · floor ${bytes(cost.floor.total)} · ${perMessage(cost.requestsPerMessage)} req/msg${empty}`,
    );
    setAttr(this.perMessage, 'title', describeFloor(cost.floor));
  }

  /** Twice a second: the chart. */
  renderChart(now: number): void {
    this.lane.trimSeries(now);
    const dataset = this.chart.data.datasets[0];
    if (dataset !== undefined) dataset.data = agePoints(this.lane.series, now);
    this.chart.update('none');
  }

  private set(key: Metric, text: string, tone = ''): void {
    const element = this.values.get(key);
    if (element === undefined) return;
    setText(element, text);
    setAttr(element, 'class', tone);
  }

  private renderState(): void {
    const state = this.lane.state;
    setAttr(this.element, 'data-state', state);
    setText(this.stateBadge, STATE_TEXT[state]);
    setAttr(this.stateBadge, 'data-state', state);
    setText(this.connectButton, this.lane.connected ? 'Disconnect' : 'Connect');
    this.cutButton.disabled = !this.lane.connected;
  }

  private note(text: string, tone: 'info' | 'warn' | 'bad'): void {
    this.noteLine.replaceChildren(h('span', { class: `tone-${tone}` }, text));
    clearTimeout(this.noteTimer);
    this.noteTimer = setTimeout(() => this.noteLine.replaceChildren(), 8_000);
  }

  private settingsRow(): HTMLElement {
    const lane = this.lane;
    const choose = (label: string, values: number[], current: number, apply: (v: number) => void, title: string) => {
      const select = h('select', { 'data-action': label === 'poll every' ? 'interval' : 'timeout' });
      for (const v of values)
        select.append(h('option', { value: v, selected: v === current }, v < 1_000 ? `${v} ms` : `${v / 1_000} s`));
      select.addEventListener('change', () => apply(Number(select.value)));
      return h('label', { class: 'setting', title }, `${label} `, select);
    };
    switch (lane.transport) {
      case 'short-poll':
        return h(
          'div',
          { class: 'lane-settings' },
          choose(
            'poll every',
            POLL_INTERVALS,
            lane.options.pollIntervalMs ?? 1_000,
            (v) => {
              lane.configure({ pollIntervalMs: v });
            },
            'Pause between two polls; applies from the next poll',
          ),
        );
      case 'long-poll':
        return h(
          'div',
          { class: 'lane-settings' },
          choose(
            'hold up to',
            LONG_POLL_TIMEOUTS,
            lane.options.longPollTimeoutMs ?? LONG_POLL_TIMEOUT.default,
            (v) => {
              lane.configure({ longPollTimeoutMs: v });
            },
            'How long the server holds a poll with nothing to say (timeout=); applies from the next request. Short timeouts make empty answers.',
          ),
        );
      case 'sse':
        return h(
          'div',
          { class: 'lane-settings muted' },
          'EventSource reconnects after the server’s retry: delay, sending Last-Event-ID',
        );
      case 'websocket':
        return h('div', { class: 'lane-settings muted' }, 'chat, echo and handshake below ↓');
    }
    return h('div', { class: 'lane-settings' });
  }
}
