/**
 * A lane's card: its state and controls, the delivery audit, event ages, the server's byte and
 * request counters for this client id, bytes per message beside the protocol floor, a live
 * chart and the last chat line. Carries `data-transport` and live `data-received`,
 * `data-lost`, `data-duplicates`, `data-resets`, `data-reconnects`, `data-state` for tests and
 * curious students.
 */
import { type FeedState, isPolling, TRANSPORT_COLORS, withAlpha } from '../../contract/index.js';
import { modelP50Ms } from '../../contract/network-models.js';
import type { NetworkProfile } from '../../contract/networks.js';
import { ageChart, agePoints, type Chart } from './charts.js';
import { describeFloor, laneCost } from './cost.js';
import { h, setAttr, setText } from './dom.js';
import { bytes, count, ms, percent, perMessage } from './format.js';
import { type Lane, type LaneState, SERIES_WINDOW_MS } from './lane.js';
import { LANE_KINDS } from './lanes/index.js';
import { DIRECT, networkWhy } from './network.js';

const STATE_TEXT: Record<LaneState, string> = {
  idle: 'idle',
  connecting: 'connecting',
  open: 'open',
  waiting: 'waiting',
  closed: 'closed',
  off: 'disconnected',
};

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
  private readonly protocolBadge: HTMLElement;
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
  readonly networkSelect: HTMLSelectElement;
  private readonly networkBadge: HTMLElement;
  private readonly networkWhyLine: HTMLElement;
  private readonly modelLine: HTMLElement;

  constructor(
    private readonly lane: Lane,
    private readonly toast: (text: string) => void,
    /** The feed's current settings (for the model), null until loaded. */
    private readonly feed: () => FeedState | null = () => null,
  ) {
    const t = lane.transport;
    const kind = LANE_KINDS[t];
    const color = TRANSPORT_COLORS[t];
    this.stateBadge = h('span', { class: 'state', 'data-role': 'state' });
    this.protocolBadge = h(
      'span',
      {
        class: 'protocol mono',
        'data-role': 'protocol',
        title:
          'The protocol this lane’s requests arrived on, as the server saw it (ALPN on https). A WebSocket always gets its own HTTP/1.1 connection: the lab does not offer RFC 8441 (docs/http2.md).',
      },
      '…',
    );
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
    this.networkSelect = h('select', {
      'data-action': 'network',
      title:
        'The network between this lane and the server: a shaping proxy on 127.0.0.1 (delay, bandwidth, loss, middleboxes)',
    });
    this.networkSelect.append(h('option', { value: DIRECT }, 'direct'));
    this.networkSelect.addEventListener('change', () => void this.chooseNetwork(this.networkSelect.value));
    this.networkBadge = h('span', { class: 'network-badge', 'data-role': 'network' }, 'direct');
    this.networkWhyLine = h('p', { class: 'lane-network-why', 'data-role': 'network-why', hidden: true });
    this.modelLine = h('p', { class: 'lane-model muted', 'data-role': 'model' });
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
    const canvas = h('canvas', { 'aria-label': `${kind.label}: event age of each message, last minute` });

    this.element = h(
      'article',
      { class: 'lane', 'data-transport': t, style: `--lane: ${color}; --lane-soft: ${withAlpha(color, 0.12)}` },
      h(
        'header',
        { class: 'lane-head' },
        h('h2', {}, kind.label),
        this.stateBadge,
        this.protocolBadge,
        this.networkBadge,
        h('p', { class: 'route mono' }, kind.route),
      ),
      this.servedLine,
      h('p', { class: 'lane-help' }, kind.help),
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
        h('label', { class: 'setting' }, 'network ', this.networkSelect),
      ),
      this.networkWhyLine,
      kind.settings(lane),
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
      this.modelLine,
      this.chatLine,
      this.noteLine,
    );

    this.chart = ageChart(
      canvas,
      [
        {
          label: kind.label,
          data: [],
          backgroundColor: withAlpha(color, 0.7),
          borderColor: color,
          pointRadius: 2,
          pointHoverRadius: 4,
        },
        {
          label: 'model p50',
          data: [],
          showLine: true,
          borderColor: '#111827',
          borderDash: [6, 4],
          borderWidth: 1.5,
          pointRadius: 0,
        },
      ],
      { log: false, legend: false, windowS: SERIES_WINDOW_MS / 1000 },
    );

    lane.on('state', () => this.renderState());
    lane.on('network', (network) => this.showNetwork(network.profile));
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
    setAttr(el, 'data-number-resets', String(lane.numberResets));
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
    setAttr(el, 'data-age-p50', latency.count === 0 ? '' : latency.p50.toFixed(1));
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
    const polls = isPolling(lane.transport);
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

  /** Twice a second: the chart, with the model's p50 for this transport on this lane's network, dashed. */
  renderChart(now: number): void {
    this.lane.trimSeries(now);
    const dataset = this.chart.data.datasets[0];
    if (dataset !== undefined) dataset.data = agePoints(this.lane.series, now);
    const model = this.modelP50();
    const line = this.chart.data.datasets[1];
    const windowS = SERIES_WINDOW_MS / 1000;
    if (line !== undefined)
      line.data =
        model === null
          ? []
          : [
              { x: -windowS, y: model },
              { x: 0, y: model },
            ];
    setText(
      this.modelLine,
      model === null
        ? ''
        : `model p50 ≈ ${ms(model)} (dashed) on ${this.lane.network.name}${this.lane.network.profile ? `, RTT ${ms(this.lane.network.profile.rttMs)}` : ''}`,
    );
    setAttr(this.modelLine, 'data-model-ms', model === null ? '' : model.toFixed(1));
    this.chart.update('none');
  }

  /** The model's median age for this lane now (contract/network-models.ts), or null without a feed. */
  modelP50(): number | null {
    const feed = this.feed();
    if (feed === null || feed.rate <= 0) return null;
    const p = this.lane.network.profile;
    return modelP50Ms(this.lane.transport, {
      network: p ?? { rttMs: 0, downKbps: 0, upKbps: 0 },
      rate: feed.rate,
      messageBytes: feed.payloadBytes,
      pollIntervalMs: this.lane.options.pollIntervalMs ?? 1_000,
    });
  }

  /** The profiles this lane can choose (from GET /api/networks). */
  setNetworkChoices(profiles: NetworkProfile[]): void {
    for (const p of profiles)
      this.networkSelect.append(h('option', { value: p.name, title: `${p.label} — ${p.source}` }, p.name));
  }

  /** Route the lane through `name` (direct or a profile); the selector follows. */
  async chooseNetwork(name: string): Promise<void> {
    this.networkSelect.value = name;
    try {
      await this.lane.useNetwork(name);
    } catch (error) {
      this.toast((error as Error).message);
      this.networkSelect.value = this.lane.network.name;
    }
  }

  private showNetwork(profile: NetworkProfile | null): void {
    this.networkSelect.value = this.lane.network.name;
    setText(this.networkBadge, profile === null ? 'direct' : `${profile.name} · RTT ${ms(profile.rttMs)}`);
    setAttr(
      this.networkBadge,
      'title',
      profile === null ? 'No shaping: straight to the server' : `${profile.label}. Source: ${profile.source}`,
    );
    setAttr(this.element, 'data-network', this.lane.network.name);
    const why = networkWhy(profile, this.lane.transport);
    this.networkWhyLine.hidden = why === null;
    setText(this.networkWhyLine, why ?? '');
  }

  private set(key: Metric, text: string, tone = ''): void {
    const element = this.values.get(key);
    if (element === undefined) return;
    setText(element, text);
    setAttr(element, 'class', tone);
  }

  /** The protocol the server saw this lane's last request on (from the stats stream). */
  setProtocol(protocol: string | undefined): void {
    if (protocol === undefined) return;
    setText(this.protocolBadge, protocol);
    setAttr(this.protocolBadge, 'data-protocol', protocol);
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
}
