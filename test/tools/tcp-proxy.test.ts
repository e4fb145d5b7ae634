/** The runner's counting proxy: counts both directions, follows a server to a new port, cuts. */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy, type TcpProxy } from '../../tools/tcp-proxy.js';

/** A server that answers every chunk with `<name>:<chunk>`. */
async function echo(name: string): Promise<net.Server> {
  const server = net.createServer((socket) => socket.on('data', (chunk) => socket.write(`${name}:${chunk}`)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const portOf = (server: net.Server) => (server.address() as AddressInfo).port;

async function ask(proxy: TcpProxy, text: string): Promise<{ socket: net.Socket; answer: string }> {
  const socket = net.connect(proxy.port, '127.0.0.1');
  socket.write(text);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return { socket, answer: chunk.toString() };
}

describe('tools/tcp-proxy', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it('counts the bytes of each direction and follows the upstream to a new port', async () => {
    const a = await echo('a');
    const b = await echo('b');
    const proxy = await startProxy({ upstreamPort: portOf(a) });
    cleanup.push(
      () => proxy.close(),
      () => a.close(),
      () => b.close(),
    );

    const first = await ask(proxy, 'hello');
    expect(first.answer).toBe('a:hello');
    proxy.setUpstream(portOf(b));
    const second = await ask(proxy, 'again');
    expect(second.answer).toBe('b:again');
    // The open connection stays where it was.
    first.socket.write('still');
    const [chunk] = (await once(first.socket, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('a:still');

    expect(proxy.totals).toEqual({ clientToServer: 5 + 5 + 5, serverToClient: 7 + 7 + 7, connections: 2 });
    first.socket.destroy();
    second.socket.destroy();
  });

  it('destroyAll cuts every connection at once, both sides', async () => {
    const a = await echo('a');
    const proxy = await startProxy({ upstreamPort: portOf(a) });
    cleanup.push(
      () => proxy.close(),
      () => a.close(),
    );
    const { socket } = await ask(proxy, 'x');
    const closed = once(socket, 'close');
    expect(proxy.destroyAll()).toBe(1);
    await closed;
    expect(proxy.open).toBe(0);
  });

  it('drops the client when the upstream refuses (server down)', async () => {
    const a = await echo('a');
    const port = portOf(a);
    await new Promise((resolve) => a.close(resolve));
    const proxy = await startProxy({ upstreamPort: port });
    cleanup.push(() => proxy.close());
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'close');
  });
});
