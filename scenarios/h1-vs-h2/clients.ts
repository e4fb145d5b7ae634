/**
 * One small client per protocol for the h1-vs-h2 scenario, all with the same three verbs: GET a
 * body, hold a GET until it answers, read an SSE stream. HTTP/1.1 over one keep-alive socket
 * (node:http Agent, maxSockets 1); h2c and h2+TLS over one HTTP/2 session (node:http2).
 * Each counts the TCP connections it opened, for "requests per connection".
 */
import http from 'node:http';
import http2, { type ClientHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';

export type Protocol = 'http/1.1' | 'h2c' | 'h2';
export const PROTOCOLS: readonly Protocol[] = ['http/1.1', 'h2c', 'h2'];

export interface ProtocolClient {
  get(path: string): Promise<string>;
  /** Opens an SSE stream; `onData` gets each text chunk. */
  stream(path: string, onData: (text: string) => void): { close(): void };
  /** TCP connections this client opened so far. */
  readonly connections: number;
  close(): void;
}

export function h1Client(base: string): ProtocolClient {
  let connections = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const create = agent.createConnection.bind(agent);
  agent.createConnection = ((options: object, callback?: (e: Error | null, s: Duplex) => void) => {
    connections += 1;
    return create(options, callback);
  }) as typeof agent.createConnection;
  return {
    get: (path) =>
      new Promise((resolve, reject) => {
        http
          .get(`${base}${path}`, { agent }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              body += c;
            });
            res.on('end', () => resolve(body));
          })
          .on('error', reject);
      }),
    stream(path, onData) {
      // Its own socket: an open stream holds an HTTP/1.1 connection (that is the point of the lab).
      connections += 1;
      const request = http.get(`${base}${path}`, { agent: false }, (res) => {
        res.setEncoding('utf8');
        res.on('data', onData);
      });
      request.on('error', () => {});
      return { close: () => request.destroy() };
    },
    get connections() {
      return connections;
    },
    close: () => agent.destroy(),
  };
}

export async function h2Client(base: string): Promise<ProtocolClient> {
  const session: ClientHttp2Session = await new Promise((resolve, reject) => {
    // The lab's self-signed certificate: the scenario trusts it for its own run only.
    const s = http2.connect(base, { rejectUnauthorized: false });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  session.on('error', () => {});
  return {
    get: (path) =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ':path': path });
        let body = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => {
          body += c;
        });
        stream.on('end', () => resolve(body));
        stream.on('error', reject);
        stream.end();
      }),
    stream(path, onData) {
      const stream = session.request({ ':path': path });
      stream.setEncoding('utf8');
      stream.on('data', onData);
      stream.on('error', () => {});
      return { close: () => stream.close() };
    },
    connections: 1,
    close: () => session.close(),
  };
}

export function clientFor(protocol: Protocol, base: string): Promise<ProtocolClient> {
  return protocol === 'http/1.1' ? Promise.resolve(h1Client(base)) : h2Client(base);
}
