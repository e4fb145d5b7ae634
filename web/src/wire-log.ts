/**
 * The per-lane request/frame log, like DevTools' network panel: the last entries the lane's
 * client reported (`wire` events), with the bytes JavaScript can see. Rendered only while its
 * panel is open, at most four times a second, so a fast feed costs nothing when nobody looks.
 */
import type { WireEntry } from '../../client/transports/index.js';
import { TRANSPORT_COLORS, type TransportName } from '../../contract/index.js';
import { h, setText } from './dom.js';
import { bytes, clockTime, count } from './format.js';
import { LANE_KINDS } from './lanes/index.js';

export const WIRE_LOG_SIZE = 100;

export class WireLog {
  private readonly ring: WireEntry[] = [];
  /** Entries ever pushed (the ring keeps the last WIRE_LOG_SIZE). */
  total = 0;
  upBytes = 0;
  downBytes = 0;

  push(entry: WireEntry): void {
    this.ring.push(entry);
    if (this.ring.length > WIRE_LOG_SIZE) this.ring.shift();
    this.total++;
    if (entry.direction === 'up') this.upBytes += entry.bytes;
    else this.downBytes += entry.bytes;
  }

  entries(): readonly WireEntry[] {
    return this.ring;
  }
}

export class WireLogView {
  readonly element: HTMLDetailsElement;
  private readonly body: HTMLTableSectionElement;
  private readonly summaryCount: HTMLElement;
  private renderedTotal = -1;

  constructor(
    transport: TransportName,
    private readonly log: WireLog,
  ) {
    this.summaryCount = h('span', { class: 'muted' });
    this.body = h('tbody');
    this.element = h(
      'details',
      { class: 'wire-log', 'data-transport': transport, style: `--lane: ${TRANSPORT_COLORS[transport]}` },
      h('summary', {}, h('span', { class: 'dot' }), ` ${LANE_KINDS[transport].label} `, this.summaryCount),
      h(
        'div',
        { class: 'wire-scroll' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'time'),
              h('th', {}, ''),
              h('th', {}, 'kind'),
              h('th', {}, 'what'),
              h('th', { class: 'num' }, 'bytes'),
            ),
          ),
          this.body,
        ),
      ),
    );
    this.element.addEventListener('toggle', () => this.render());
  }

  render(): void {
    setText(this.summaryCount, `${count(this.log.total)} entries`);
    if (!this.element.open || this.renderedTotal === this.log.total) return;
    this.renderedTotal = this.log.total;
    const rows = [...this.log.entries()]
      .reverse()
      .map((entry) =>
        h(
          'tr',
          { class: `dir-${entry.direction} kind-${entry.kind}` },
          h('td', { class: 'mono' }, clockTime(entry.at)),
          h(
            'td',
            { title: entry.direction === 'up' ? 'client → server' : 'server → client' },
            entry.direction === 'up' ? '↑' : '↓',
          ),
          h('td', {}, entry.kind),
          h('td', { class: 'mono what' }, entry.summary),
          h('td', { class: 'num mono' }, entry.bytes > 0 ? bytes(entry.bytes) : ''),
        ),
      );
    this.body.replaceChildren(...rows);
  }
}
