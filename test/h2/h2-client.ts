/** Node's own http2 client, for the tests: one session, GETs and streamed reads on it. */
import http2, { type ClientHttp2Session } from 'node:http2';

export function connect(url: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // The test's certificate is made for this run: trusted here, and only here.
    const session = http2.connect(url, { rejectUnauthorized: false });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

export interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

export function get(
  session: ClientHttp2Session,
  path: string,
  headers: http2.OutgoingHttpHeaders = {},
): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, ...headers });
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = h;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString() }));
    stream.on('error', reject);
    stream.end();
  });
}

/** An SSE stream over h2: the `data:` lines of `message` events, as they come. */
export function sse(session: ClientHttp2Session, path: string): { seqs: number[]; close(): void } {
  const seqs: number[] = [];
  const stream = session.request({ ':path': path });
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    buffer += text;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined && !/^event: /m.test(block)) seqs.push(JSON.parse(data).seq);
      end = buffer.indexOf('\n\n');
    }
  });
  stream.on('error', () => {});
  return { seqs, close: () => stream.close() };
}
