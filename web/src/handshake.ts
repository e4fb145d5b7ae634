/**
 * The HANDSHAKE INSPECTOR: the WebSocket lane's real upgrade request and 101 response (JavaScript
 * cannot see them, so the server keeps them per client id: `GET /api/handshake`), and
 * Sec-WebSocket-Accept recomputed here, step by step, to show it matches what the server sent.
 * Refreshed on every new connection of the lane: after a CUT the browser picks a new key.
 */
import { type AcceptSteps, computeAccept, hex, WEBSOCKET_GUID } from './accept.js';
import { api, type Handshake } from './api.js';
import { h, must } from './dom.js';
import { clockTime } from './format.js';
import type { Lane } from './lane.js';

const HIGHLIGHT = /^(upgrade|connection|sec-websocket-.*|origin)$/i;

function header(headers: [string, string][], name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

function headerBlock(title: string, line: string, headers: [string, string][]): HTMLElement {
  return h(
    'div',
    { class: 'hs-block' },
    h('h4', {}, title),
    h(
      'pre',
      { class: 'hs-raw' },
      h('span', { class: 'hs-line' }, line),
      '\n',
      ...headers.flatMap(([name, value]) => [
        h('span', { class: HIGHLIGHT.test(name) ? 'hs-key' : '' }, h('b', {}, `${name}:`), ` ${value}`),
        '\n',
      ]),
    ),
  );
}

function step(n: number, title: string, ...body: (Node | string)[]): HTMLElement {
  return h(
    'li',
    {},
    h('span', { class: 'step-n' }, String(n)),
    h('div', {}, h('p', { class: 'step-title' }, title), ...body),
  );
}

/** What each permessage-deflate parameter means (RFC 7692 §7.1), for the answer's line. */
const DEFLATE_PARAMS: Record<string, string> = {
  server_no_context_takeover: 'the server starts every message with an empty dictionary (less memory, worse ratio)',
  client_no_context_takeover: 'so does the browser',
  server_max_window_bits: 'the server compresses with a window of 2^N bytes',
  client_max_window_bits: 'the browser compresses with a window of 2^N bytes',
};

function deflateParams(answer: string): string[] {
  const params = answer
    .split(';')
    .slice(1)
    .map((p) => p.trim())
    .filter(Boolean);
  if (params.length === 0) return ['no parameters: both sides keep their context, with 15-bit (32 KiB) windows'];
  return params.map((p) => {
    const [name = '', value] = p.split('=');
    const meaning = DEFLATE_PARAMS[name] ?? 'an unknown parameter';
    return `${p}: ${value === undefined ? meaning : meaning.replace('N', value)}`;
  });
}

/** Offer → answer, for the subprotocol and for the extensions: the two negotiations of a handshake. */
function negotiation(handshake: Handshake): HTMLElement {
  const offeredProtocol = header(handshake.request.headers, 'sec-websocket-protocol');
  const answeredProtocol = header(handshake.response.headers, 'sec-websocket-protocol');
  const offeredExtensions = header(handshake.request.headers, 'sec-websocket-extensions');
  const answeredExtensions = header(handshake.response.headers, 'sec-websocket-extensions');
  const compressAsked = /[?&]compress=1(&|$)/.test(handshake.request.line.split(' ')[1] ?? '');
  const protocolVerdict =
    offeredProtocol === undefined
      ? 'none offered, none answered: JSON text frames'
      : answeredProtocol === undefined
        ? 'the server speaks none of these, so it answers none (RFC 6455 §4.2.2); a browser then fails the connection'
        : `the server picked ${answeredProtocol} by its own preference${answeredProtocol === 'lab.v1.msgpack' ? ': binary MessagePack frames' : ': JSON text frames'}`;
  const extensionVerdict =
    offeredExtensions === undefined
      ? 'none offered'
      : answeredExtensions === undefined
        ? compressAsked
          ? 'declined'
          : 'declined: the lab accepts compression only on ?compress=1 (it costs memory and CPU per connection)'
        : `accepted — ${deflateParams(answeredExtensions).join('; ')}`;
  const row = (what: string, offer: string | undefined, answer: string | undefined, verdict: string) =>
    h(
      'tr',
      { 'data-negotiation': what },
      h('th', {}, what),
      h('td', { class: 'mono' }, offer ?? '(none)'),
      h('td', { class: 'mono' }, answer ?? '(none)'),
      h('td', { class: 'small' }, verdict),
    );
  return h(
    'table',
    { class: 'hs-negotiation' },
    h('tr', {}, h('th', {}, ''), h('th', {}, 'offered'), h('th', {}, 'answered'), h('th', {}, '')),
    row('subprotocol', offeredProtocol, answeredProtocol, protocolVerdict),
    row('extensions', offeredExtensions, answeredExtensions, extensionVerdict),
  );
}

export class HandshakeInspector {
  private readonly root: HTMLElement;
  private connections = 0;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly lane: Lane<'websocket'>,
    root: HTMLElement,
  ) {
    this.root = root;
    lane.on('state', (state) => {
      if (state === 'open') {
        this.connections++;
        void this.refresh();
      }
    });
    must<HTMLButtonElement>('#handshake-refresh').addEventListener('click', () => void this.refresh());
  }

  refresh(): Promise<void> {
    this.pending ??= this.load().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async load(): Promise<void> {
    let handshake: Handshake;
    try {
      handshake = await api.handshake(this.lane.clientId);
    } catch (error) {
      this.root.replaceChildren(
        h(
          'p',
          { class: 'muted' },
          `No handshake to show yet (${(error as Error).message}). Connect the WebSocket lane.`,
        ),
      );
      return;
    }
    const key = header(handshake.request.headers, 'sec-websocket-key');
    const sent = header(handshake.response.headers, 'sec-websocket-accept');
    const steps = key === undefined ? null : await computeAccept(key);
    this.root.replaceChildren(this.render(handshake, steps, sent));
  }

  private render(handshake: Handshake, steps: AcceptSteps | null, sent: string | undefined): HTMLElement {
    const match = steps !== null && sent !== undefined && steps.accept === sent;
    const offered = header(handshake.request.headers, 'sec-websocket-extensions');
    const accepted = header(handshake.response.headers, 'sec-websocket-extensions');
    const wireBytes = (line: string, headers: [string, string][]) =>
      new TextEncoder().encode(`${line}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`).length;

    return h(
      'div',
      { class: 'hs', 'data-match': String(match) },
      h(
        'p',
        { class: 'muted small' },
        `Connection of ${clockTime(handshake.at)} (this page has seen ${this.connections}). `,
        `Request ${wireBytes(handshake.request.line, handshake.request.headers)} B, response ${wireBytes(handshake.response.line, handshake.response.headers)} B: paid once per connection; after it, each message costs a frame header of 2–10 bytes.`,
      ),
      h(
        'div',
        { class: 'hs-pair' },
        headerBlock('Upgrade request (browser → server)', handshake.request.line, handshake.request.headers),
        headerBlock('101 response (server → browser)', handshake.response.line, handshake.response.headers),
      ),
      negotiation(handshake),
      steps === null
        ? h('p', { class: 'bad' }, 'The request has no Sec-WebSocket-Key header.')
        : h(
            'ol',
            { class: 'steps' },
            step(
              1,
              'Sec-WebSocket-Key: base64 of 16 random bytes the browser chose for this handshake',
              h('code', { class: 'mono' }, steps.key),
              steps.keyBytes === null
                ? ''
                : h('p', { class: 'mono small muted' }, `= ${hex(steps.keyBytes)} (${steps.keyBytes.length} bytes)`),
            ),
            step(
              2,
              'Append the fixed GUID from RFC 6455',
              h('code', { class: 'mono wrap' }, h('span', {}, steps.key), h('span', { class: 'guid' }, WEBSOCKET_GUID)),
            ),
            step(
              3,
              `SHA-1 of those ${steps.concatenated.length} ASCII bytes (${steps.via})`,
              h('code', { class: 'mono wrap' }, hex(steps.digest)),
            ),
            step(
              4,
              'base64 of the 20-byte digest',
              h('code', { class: 'mono', 'data-accept-computed': steps.accept }, steps.accept),
            ),
            step(
              5,
              'Compare with the Sec-WebSocket-Accept the server sent',
              h('code', { class: 'mono', 'data-accept-server': sent ?? '' }, sent ?? '(none)'),
              h(
                'p',
                { class: match ? 'verdict good' : 'verdict bad' },
                match
                  ? '✓ They match: the server really read this key, so the browser switches the connection to WebSocket frames.'
                  : '✗ They differ: a browser would fail this connection.',
              ),
            ),
          ),
    );
  }
}
