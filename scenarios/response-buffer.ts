/**
 * The buffering intermediary: what nginx does with `proxy_buffering on` (its default) or what a
 * compressing proxy does — it reads a response's body into buffers and passes it on when it has
 * `limitBytes` of it or the response has ended. It must know where a response ends, so it follows
 * HTTP/1.1 framing (RFC 9112 §6): Content-Length, chunked transfer coding, or the end of the
 * connection. The head (status line and headers) passes at once, as nginx sends it.
 *
 * What that does to each transport: a poll's answer ends, so it passes whole (and late by
 * nothing); an SSE stream is one response that never ends, so its events wait until `limitBytes`
 * of them have piled up; a WebSocket is a tunnel after `101 Switching Protocols`, which the proxy
 * relays unbuffered (nginx, too, switches to tunnelling after an Upgrade).
 *
 * Bytes are never changed: this only decides when they go on.
 */

type State =
  | { kind: 'head'; text: string }
  | { kind: 'length'; remaining: number }
  | { kind: 'chunk-size'; line: string }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'trailer'; line: string }
  | { kind: 'until-close' }
  | { kind: 'tunnel' };

const HEAD_END = '\r\n\r\n';
/** A head bigger than this is not HTTP we understand: pass everything through from then on. */
const MAX_HEAD_BYTES = 64 * 1024;

export class ResponseBuffer {
  private state: State = { kind: 'head', text: '' };
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    private readonly limitBytes: number,
    private readonly out: (chunk: Buffer) => void,
  ) {}

  /** Bytes currently held back. */
  get holding(): number {
    return this.heldBytes;
  }

  /** Whether the connection became a tunnel (101). */
  get tunnelling(): boolean {
    return this.state.kind === 'tunnel';
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const state = this.state;
      switch (state.kind) {
        case 'tunnel':
          this.release();
          this.out(chunk.subarray(at));
          return;
        case 'until-close':
          this.hold(chunk.subarray(at));
          return;
        case 'head': {
          // Heads are ASCII (latin1 keeps one char per byte, so offsets stay byte offsets).
          const before = state.text.length;
          const text = state.text + chunk.toString('latin1', at, Math.min(chunk.length, at + MAX_HEAD_BYTES));
          const end = text.indexOf(HEAD_END);
          if (end < 0) {
            if (text.length >= MAX_HEAD_BYTES) {
              this.state = { kind: 'tunnel' };
              continue;
            }
            state.text = text;
            this.passHead(chunk.subarray(at));
            return;
          }
          const consumed = end + HEAD_END.length - before;
          this.passHead(chunk.subarray(at, at + consumed));
          at += consumed;
          this.state = this.bodyState(text.slice(0, end));
          if (this.state.kind === 'head') this.release(); // no body: the response has ended
          continue;
        }
        case 'length': {
          const n = Math.min(state.remaining, chunk.length - at);
          this.hold(chunk.subarray(at, at + n));
          at += n;
          state.remaining -= n;
          if (state.remaining === 0) this.responseEnded();
          continue;
        }
        case 'chunk-data': {
          const n = Math.min(state.remaining, chunk.length - at);
          this.hold(chunk.subarray(at, at + n));
          at += n;
          state.remaining -= n;
          if (state.remaining === 0) this.state = { kind: 'chunk-size', line: '' };
          continue;
        }
        case 'chunk-size':
        case 'trailer': {
          const nl = chunk.indexOf(10, at); // '\n'
          const stop = nl < 0 ? chunk.length : nl + 1;
          const piece = chunk.subarray(at, stop);
          this.hold(piece);
          at = stop;
          state.line += piece.toString('latin1');
          if (nl < 0) continue;
          const line = state.line.replace(/\r?\n$/, '');
          if (state.kind === 'trailer') {
            if (line === '') this.responseEnded();
            else state.line = '';
            continue;
          }
          if (line === '') {
            state.line = ''; // the CRLF after a chunk's data
            continue;
          }
          const size = Number.parseInt(line.split(';')[0] ?? '', 16);
          if (!Number.isFinite(size)) {
            this.state = { kind: 'tunnel' }; // not chunked framing we understand: stop interpreting
            continue;
          }
          // The size line is followed by `size` bytes and their CRLF (read as an empty size line).
          this.state = size === 0 ? { kind: 'trailer', line: '' } : { kind: 'chunk-data', remaining: size };
          continue;
        }
      }
    }
  }

  /** The upstream ended: whatever is held goes on (the response ended with the connection). */
  end(): void {
    this.release();
  }

  private bodyState(head: string): State {
    const lines = head.split('\r\n');
    const status = Number((lines[0] ?? '').split(' ')[1]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (status === 101) return { kind: 'tunnel' };
    if ((status >= 100 && status < 200) || status === 204 || status === 304) return { kind: 'head', text: '' };
    if ((headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked'))
      return { kind: 'chunk-size', line: '' };
    const length = headers.get('content-length');
    if (length !== undefined) {
      const n = Number(length);
      return n > 0 ? { kind: 'length', remaining: n } : { kind: 'head', text: '' };
    }
    return { kind: 'until-close' };
  }

  /** Head bytes go on at once, after anything held from an earlier response. */
  private passHead(bytes: Buffer): void {
    this.release();
    if (bytes.length > 0) this.out(bytes);
  }

  private hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    if (this.heldBytes >= this.limitBytes) this.release();
  }

  private responseEnded(): void {
    this.release();
    this.state = { kind: 'head', text: '' };
  }

  private release(): void {
    if (this.heldBytes === 0) return;
    const chunk = this.held.length === 1 ? (this.held[0] as Buffer) : Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    this.out(chunk);
  }
}
