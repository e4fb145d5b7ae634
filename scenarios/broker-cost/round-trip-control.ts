/**
 * The broker benchmark's CONTROL (scenarios/broker-cost/run.ts, mode `control`), loaded into the
 * server with `--import` — a measuring device, not a lab feature: the server's own code does not know
 * it. It keeps the memory backend and adds only the wait the Redis backend has: before each ticker
 * publish, one `PING` to the same redis-server, awaited, on a raw socket (no ioredis, no Lua, no
 * stream). The publish then runs in the turn the answer arrives, as the Redis backend's does.
 *
 * If this alone costs what the Redis backend costs, the extra is the sleep-and-wake per publish on
 * loopback, not the broker's code; what it does not cover is the Redis backend's own work.
 * `BROKER_COST_ROUND_TRIP=redis://127.0.0.1:<port>` turns it on; it prints one line when it does.
 */
import { connect, type Socket } from 'node:net';
import { MemoryBackend } from '../../server/feed/backend.js';
import type { Feed } from '../../server/feed/feed.js';
import type { Ticker } from '../../server/feed/ticker.js';

const PONG = '+PONG\r\n';

/** One PING at a time in flight per publish; answers come back in order (RESP is FIFO per connection). */
class Pinger {
  private readonly waiting: (() => void)[] = [];
  private buffered = '';
  private readonly socket: Socket;

  constructor(url: URL) {
    this.socket = connect({ host: url.hostname, port: Number(url.port) });
    this.socket.setNoDelay(true);
    this.socket.setEncoding('latin1');
    this.socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let at = this.buffered.indexOf(PONG);
      while (at !== -1) {
        this.buffered = this.buffered.slice(at + PONG.length);
        this.waiting.shift()?.();
        at = this.buffered.indexOf(PONG);
      }
    });
    this.socket.on('error', (error) => {
      console.error(`round-trip control: ${error.message}`);
      process.exit(1);
    });
    this.socket.unref();
  }

  ping(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write('PING\r\n');
    });
  }
}

const target = process.env.BROKER_COST_ROUND_TRIP;
if (target) {
  const pinger = new Pinger(new URL(target));
  const start = MemoryBackend.prototype.start;
  MemoryBackend.prototype.start = async function (this: MemoryBackend, feed: Feed, ticker: Ticker) {
    await start.call(this, feed, ticker);
    ticker.publishVia((data) => pinger.ping().then(() => feed.publish(data)));
  };
  console.log(`round-trip control: one PING to ${target} awaited before each ticker publish`);
}
