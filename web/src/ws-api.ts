/**
 * YOUR WEBSOCKET: the browser's WebSocket API, hands on. The student types a URL and the
 * subprotocols to offer, and the page runs `new WebSocket(url, protocols)` for them (no inline
 * script: the page's CSP forbids it, so the code is shown, and this module runs it). Every event
 * (open, message, error, close) is logged; readyState, bufferedAmount, protocol and extensions are
 * shown as they change.
 *
 * Any URL works — the lab's /api/ws, or the student's own server (examples/echo-server.mjs), whose
 * bytes no /api/stats counts. So the page counts them at the client side: each frame's payload,
 * plus its header as RFC 6455 §5.2 sizes it (2/4/10 bytes, +4 for the mask on frames we send).
 * The HTTP upgrade and control frames are invisible to JavaScript and not in these counts.
 */
import { wsFrameHeaderBytes } from '../../contract/floor.js';
import { h, must, setText } from './dom.js';
import { clockTime } from './format.js';

const READY_STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
const MAX_LOG_LINES = 200;

interface Counts {
  framesIn: number;
  framesOut: number;
  payloadIn: number;
  payloadOut: number;
  headerIn: number;
  headerOut: number;
}

const zero = (): Counts => ({ framesIn: 0, framesOut: 0, payloadIn: 0, payloadOut: 0, headerIn: 0, headerOut: 0 });

function byteLength(data: unknown): number {
  if (typeof data === 'string') return new TextEncoder().encode(data).length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (data instanceof Blob) return data.size;
  return 0;
}

function preview(data: unknown): string {
  if (typeof data === 'string') return data.length > 160 ? `${data.slice(0, 160)}…` : data;
  return `binary, ${byteLength(data)} bytes`;
}

/** Parse "a, b" into ['a', 'b']; empty → no protocols argument at all. */
function parseProtocols(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

export class WebSocketApiPanel {
  private socket: WebSocket | null = null;
  private counts = zero();
  private readonly url = must<HTMLInputElement>('#api-url');
  private readonly protocols = must<HTMLInputElement>('#api-protocols');
  private readonly text = must<HTMLInputElement>('#api-text');
  private readonly code = must('#api-code');
  private readonly log = must('#api-log');
  private readonly props = must('#api-props');
  private readonly countsOut = must('#api-counts');

  constructor(defaultUrl: string) {
    this.url.value = defaultUrl;
    must<HTMLButtonElement>('#api-open').addEventListener('click', () => this.open());
    must<HTMLFormElement>('#api-send-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    must<HTMLButtonElement>('#api-close').addEventListener('click', () => this.socket?.close(1000, 'closed by you'));
    for (const input of [this.url, this.protocols]) input.addEventListener('input', () => this.showCode());
    this.showCode();
    this.render();
    setInterval(() => this.render(), 200);
  }

  private showCode(): void {
    const protocols = parseProtocols(this.protocols.value);
    const args = [JSON.stringify(this.url.value.trim())];
    if (protocols.length > 0) args.push(JSON.stringify(protocols));
    setText(this.code, `const ws = new WebSocket(${args.join(', ')});`);
  }

  private open(): void {
    if (this.socket !== null && this.socket.readyState < WebSocket.CLOSING) this.socket.close(1000, 'replaced');
    this.counts = zero();
    const protocols = parseProtocols(this.protocols.value);
    let socket: WebSocket;
    try {
      socket =
        protocols.length > 0 ? new WebSocket(this.url.value.trim(), protocols) : new WebSocket(this.url.value.trim());
    } catch (error) {
      // A bad URL or protocol token throws synchronously (a SyntaxError), before any network.
      this.line('throw', `${(error as Error).name}: ${(error as Error).message}`, 'bad');
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.line('new', `readyState ${socket.readyState} (${READY_STATES[socket.readyState]})`, 'info');
    socket.addEventListener('open', () => {
      this.line(
        'open',
        `protocol ${JSON.stringify(socket.protocol)}, extensions ${JSON.stringify(socket.extensions)}`,
        'info',
      );
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      const bytes = byteLength(event.data);
      this.counts.framesIn += 1;
      this.counts.payloadIn += bytes;
      this.counts.headerIn += wsFrameHeaderBytes(bytes, false);
      this.line('message', preview(event.data), 'info');
    });
    socket.addEventListener('error', () => {
      // Browsers say nothing about why (on purpose: a page must not probe the network this way).
      this.line('error', 'an error event, with no reason given; a close event follows', 'bad');
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      this.line(
        'close',
        `code ${event.code}${event.reason ? ` "${event.reason}"` : ''}, wasClean ${event.wasClean}`,
        event.wasClean ? 'info' : 'warn',
      );
    });
    this.render();
  }

  private send(): void {
    const socket = this.socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
      this.line('send', 'not sent: readyState is not OPEN (send() before open throws InvalidStateError)', 'warn');
      return;
    }
    const text = this.text.value;
    socket.send(text);
    const bytes = byteLength(text);
    this.counts.framesOut += 1;
    this.counts.payloadOut += bytes;
    this.counts.headerOut += wsFrameHeaderBytes(bytes, true);
    this.line('send', preview(text), 'info');
    this.render();
  }

  private line(kind: string, text: string, tone: 'info' | 'warn' | 'bad'): void {
    this.log.prepend(
      h(
        'li',
        { class: `api-line tone-${tone}`, 'data-event': kind },
        h('span', { class: 'muted' }, clockTime(Date.now())),
        ' ',
        h('b', {}, kind),
        ' ',
        text,
      ),
    );
    while (this.log.childElementCount > MAX_LOG_LINES) this.log.lastElementChild?.remove();
    this.render();
  }

  private render(): void {
    const s = this.socket;
    const rows: [string, string][] = [
      ['readyState', s === null ? '—' : `${s.readyState} (${READY_STATES[s.readyState]})`],
      ['bufferedAmount', s === null ? '—' : String(s.bufferedAmount)],
      ['protocol', s === null ? '—' : JSON.stringify(s.protocol)],
      ['extensions', s === null ? '—' : JSON.stringify(s.extensions)],
      ['url', s === null ? '—' : s.url],
    ];
    this.props.replaceChildren(
      ...rows.map(([name, value]) =>
        h('tr', { 'data-prop': name }, h('th', {}, name), h('td', { class: 'mono' }, value)),
      ),
    );
    const c = this.counts;
    setText(
      this.countsOut,
      `sent ${c.framesOut} frames: ${c.payloadOut} B payload + ${c.headerOut} B frame headers · ` +
        `received ${c.framesIn} frames: ${c.payloadIn} B payload + ${c.headerIn} B frame headers`,
    );
  }
}
