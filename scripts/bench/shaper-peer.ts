/**
 * The far side of the shaper benchmark (scripts/bench/shaper.ts), in its own process so the
 * shaper's process measures only itself: a TCP server that broadcasts one message of `bytes`
 * to every connection `rate` times a second (the fan-out scenario's feed: 2 msg/s of 256 B), and
 * `connections` clients that connect to the shaper's port, read, and send a 200 B request each
 * second (a poll's worth of upstream bytes). It reports what the clients received.
 */
import net from 'node:net';

interface Start {
  connections: number;
  rate: number;
  bytes: number;
}

const send = (message: unknown) => process.send?.(message);
const sockets = new Set<net.Socket>();
const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.on('data', () => {});
  socket.on('error', () => {});
  socket.on('close', () => sockets.delete(socket));
});
server.listen(0, '127.0.0.1', () => send({ serverPort: (server.address() as net.AddressInfo).port }));

let received = 0;
const clients: net.Socket[] = [];
let ticker: ReturnType<typeof setInterval> | null = null;
let upTicker: ReturnType<typeof setInterval> | null = null;

process.on('message', async (message: { start?: Start & { proxyPort: number }; stop?: true }) => {
  if (message.start) {
    const { connections, rate, bytes, proxyPort } = message.start;
    for (let i = 0; i < connections; i++) {
      const socket = net.connect(proxyPort, '127.0.0.1');
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      socket.on('error', () => {});
      clients.push(socket);
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
    }
    const payload = Buffer.alloc(bytes, 120);
    ticker = setInterval(() => {
      for (const s of sockets) s.write(payload);
    }, 1000 / rate);
    const request = Buffer.alloc(200, 121);
    upTicker = setInterval(() => {
      for (const c of clients) c.write(request);
    }, 1000);
    send({ started: sockets.size });
  }
  if (message.stop) {
    if (ticker) clearInterval(ticker);
    if (upTicker) clearInterval(upTicker);
    send({ received, open: sockets.size });
    for (const c of clients) c.destroy();
    server.close();
    setTimeout(() => process.exit(0), 200);
  }
});
