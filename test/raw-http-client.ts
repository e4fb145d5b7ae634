/**
 * One keep-alive HTTP/1.1 connection that sends raw request text and reads whole answers, the head
 * exactly as the server wrote it (names, order): what the fast-lane tests compare byte for byte
 * between the lane and Fastify (test/fast-lane.property.test.ts, test/long-poll-lane.test.ts).
 */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  /** Every header as written, in order (Date included). */
  headers: [string, string][];
  body: string;
}

export class RawHttpClient {
  private buffer = Buffer.alloc(0);
  private bodiless = false;
  private closed = false;
  private waiting: (() => void) | null = null;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static open(port: number): Promise<RawHttpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawHttpClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one request without waiting (a HEAD's answer has no body, whatever its Content-Length says). */
  write(request: string): void {
    this.bodiless = request.startsWith('HEAD ');
    this.socket.write(request);
  }

  /** The next whole answer on the connection. */
  async answer(): Promise<RawAnswer> {
    for (;;) {
      const answer = this.take();
      if (answer) return answer;
      if (this.closed) throw new Error('the server closed the connection before a whole answer');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }

  /** Sends one request and reads its answer. */
  async send(request: string): Promise<RawAnswer> {
    this.write(request);
    try {
      return await this.answer();
    } catch (error) {
      throw new Error(`${(error as Error).message}; asked:\n${request}`);
    }
  }

  private take(): RawAnswer | null {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers = lines.slice(1).map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1).trim()] as [string, string];
    });
    const length = this.bodiless
      ? 0
      : Number(headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return null;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status: Number(lines[0]?.split(' ')[1]), headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}
