/**
 * The chat box: WebSocket is the one lane that can talk back on its own connection. A message
 * is sent as a `publish` frame (ws.send), goes into the feed like any tick, and comes back on all
 * lanes; the transcript shows how old it was when each lane got it.
 */

import { WebSocketClient } from '../../client/transports/index.js';
import { TRANSPORT_COLORS, TRANSPORTS, type TransportName } from '../../contract/index.js';
import { h, must, setText } from './dom.js';
import { ms } from './format.js';
import type { Lane } from './lane.js';
import { LANE_KINDS } from './lanes/index.js';

const MAX_ROWS = 8;
const MAX_TEXT = 280;

interface Row {
  element: HTMLTableRowElement;
  cells: Record<TransportName, HTMLTableCellElement>;
}

export class Chat {
  private readonly rows = new Map<string, Row>();
  private readonly body: HTMLTableSectionElement;
  private readonly name: HTMLInputElement;
  private readonly text: HTMLInputElement;
  private readonly send: HTMLButtonElement;
  private readonly status: HTMLElement;

  /**
   * `canPublish` is false in a classroom: the feed is the instructor's, and a WebSocket cannot carry
   * the instructor's token (server/classroom/guard.ts), so the server refuses publish frames there.
   */
  constructor(
    lanes: readonly Lane[],
    private readonly wsLane: Lane<'websocket'>,
    private readonly canPublish = true,
  ) {
    this.name = must<HTMLInputElement>('#chat-name');
    this.text = must<HTMLInputElement>('#chat-text');
    this.send = must<HTMLButtonElement>('#chat-send');
    this.status = must('#chat-status');
    this.text.maxLength = MAX_TEXT;
    this.name.value ||= `student-${Math.random().toString(36).slice(2, 5)}`;

    const table = must<HTMLTableElement>('#chat-log');
    table.replaceChildren(
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'message'),
          ...TRANSPORTS.map((t) =>
            h('th', { class: 'num', style: `color: ${TRANSPORT_COLORS[t]}` }, LANE_KINDS[t].short),
          ),
        ),
      ),
    );
    this.body = h('tbody');
    table.append(this.body);

    must<HTMLFormElement>('#chat-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    for (const lane of lanes) {
      lane.on('chat', (line, message, age) =>
        this.arrived(lane.transport, `${message.epoch}:${message.seq}`, `${line.from}: ${line.text}`, age),
      );
    }
    wsLane.on('state', () => this.renderState());
    this.renderState();
  }

  private submit(): void {
    const client = this.wsLane.client;
    const text = this.text.value.trim();
    if (text === '' || !(client instanceof WebSocketClient)) return;
    try {
      client.publish({
        kind: 'chat',
        from: this.name.value.trim().slice(0, 32) || 'anonymous',
        text: text.slice(0, MAX_TEXT),
      });
      this.text.value = '';
      setText(this.status, 'sent as one WebSocket frame: {"type":"publish","data":{…}}');
    } catch (error) {
      setText(this.status, `not sent: ${(error as Error).message}`);
    }
  }

  private arrived(transport: TransportName, key: string, text: string, age: number): void {
    let row = this.rows.get(key);
    if (row === undefined) {
      const cells = Object.fromEntries(TRANSPORTS.map((t) => [t, h('td', { class: 'num mono muted' }, '…')])) as Record<
        TransportName,
        HTMLTableCellElement
      >;
      const element = h('tr', {}, h('td', { class: 'chat-text' }, text), ...TRANSPORTS.map((t) => cells[t]));
      row = { element, cells };
      this.rows.set(key, row);
      this.body.prepend(element);
      for (const [old, r] of [...this.rows].slice(0, Math.max(0, this.rows.size - MAX_ROWS))) {
        r.element.remove();
        this.rows.delete(old);
      }
    }
    const cell = row.cells[transport];
    cell.textContent = ms(age);
    cell.className = 'num mono';
  }

  private renderState(): void {
    if (!this.canPublish) {
      this.send.disabled = true;
      setText(this.status, 'Classroom: only the instructor publishes to the shared feed (the chat is off here).');
      return;
    }
    const open = this.wsLane.state === 'open';
    this.send.disabled = !open;
    if (!open) setText(this.status, 'Connect the WebSocket lane to chat: the message is sent on its socket.');
    else if (this.status.textContent?.startsWith('Connect')) setText(this.status, '');
  }
}
