/**
 * The lab's second (and third) door: HTTPS with ALPN on one port, cleartext h2c on another.
 *
 * One TLS server takes every connection and looks at what ALPN agreed (RFC 7301): `h2` goes to the
 * lab's HTTP/2 Fastify instance, through a FrameTap for its accounting; `http/1.1` (or no ALPN)
 * goes to the lab's own HTTP/1.1 instance, the same one the http:// port serves, so WebSocket
 * upgrades work there as they do on http:// — a browser's WebSocket asks for its own HTTP/1.1
 * connection (this server does not offer RFC 8441's extended CONNECT; docs/http2.md says why).
 * The h2c port takes HTTP/2 with prior knowledge (RFC 9113 §3.3), for Node clients and h2load.
 */
import { once } from 'node:events';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { buildH2App } from '../app.js';
import type { LabCertificate } from './certificate.js';

/** A TLS handshake must be done within this (Node's default is 120 s): a slowloris of TLS. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface SecureOptions {
  host: string;
  /** null: no HTTPS port. 0: any free port. */
  httpsPort: number | null;
  /** null: no h2c port. */
  h2cPort: number | null;
  certificate: Pick<LabCertificate, 'key' | 'cert'> | null;
}

export interface SecureListeners {
  h2app: FastifyInstance;
  httpsPort: number | null;
  h2cPort: number | null;
  close(): Promise<void>;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Start the HTTPS and h2c ports for `app`'s lab; they close when `app` does. */
export async function listenSecure(app: FastifyInstance, options: SecureOptions): Promise<SecureListeners> {
  const lab = app.lab;
  const h2app = await buildH2App(lab);
  const servers: Server[] = [];
  const open = new Set<Socket>();
  const remember = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };

  let httpsPort: number | null = null;
  if (options.httpsPort !== null) {
    if (!options.certificate) throw new Error('an HTTPS port needs a certificate');
    const server = tls.createServer({
      key: options.certificate.key,
      cert: options.certificate.cert,
      ALPNProtocols: ['h2', 'http/1.1'],
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    server.on('connection', remember);
    server.on('secureConnection', (socket: TLSSocket) => {
      // The TCP socket under the TLS socket: its counters are the ciphertext on the wire.
      const wire = (socket as TLSSocket & { _parent?: Socket })._parent ?? socket;
      if (socket.alpnProtocol === 'h2') {
        h2app.server.emit('connection', lab.accounting.sessions.wrap(socket, wire));
      } else {
        lab.accounting.tls.handshake(wire, () => ({ in: socket.bytesRead, out: socket.bytesWritten }));
        lab.accounting.meter.track(socket, wire);
        app.server.emit('connection', socket);
      }
    });
    // A failed handshake (a plain-HTTP request on the TLS port, a client that distrusts the
    // certificate) is the client's problem: Node closes the socket; nothing to log per attempt.
    server.on('tlsClientError', () => {});
    httpsPort = await listen(server, options.httpsPort, options.host);
    servers.push(server);
  }

  let h2cPort: number | null = null;
  if (options.h2cPort !== null) {
    const server = net.createServer((socket) => {
      remember(socket);
      h2app.server.emit('connection', lab.accounting.sessions.wrap(socket, socket));
    });
    h2cPort = await listen(server, options.h2cPort, options.host);
    servers.push(server);
  }

  lab.ports.https = httpsPort;
  lab.ports.h2c = h2cPort;
  const close = async () => {
    // Stop accepting; a net server's close waits for its connections, so those are ended next:
    // the lab's streams were already closed their own way (server/app.ts, preClose).
    const closed = Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    for (const socket of open) socket.destroy();
    await h2app.close();
    await closed;
  };
  lab.closeAfter.push(close);
  return { h2app, httpsPort, h2cPort, close };
}
