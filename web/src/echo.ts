/**
 * Echo round trip on the WebSocket: an `echo` frame up, the same frame back, on the very socket
 * that carries the feed (so it queues behind feed frames, as a real message would). Shown beside
 * the round trip of a plain HTTP request (the best `/api/time` sample of the clock estimate).
 */
import { WebSocketClient } from '../../client/transports/index.js';
import { must, setText } from './dom.js';
import { ms } from './format.js';
import type { Lane } from './lane.js';
import type { ServerClock } from './server-clock.js';

const KEEP = 20;
const AUTO_EVERY_MS = 2_000;

export class Echo {
  private readonly rtts: number[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly out: HTMLElement;
  private readonly button: HTMLButtonElement;

  constructor(
    private readonly wsLane: Lane<'websocket'>,
    private readonly clock: ServerClock,
  ) {
    this.out = must('#echo-out');
    this.button = must<HTMLButtonElement>('#echo-send');
    const auto = must<HTMLInputElement>('#echo-auto');
    this.button.addEventListener('click', () => void this.probe());
    auto.addEventListener('change', () => {
      clearInterval(this.timer);
      this.timer = auto.checked ? setInterval(() => void this.probe(), AUTO_EVERY_MS) : undefined;
    });
    wsLane.on('state', () => {
      this.button.disabled = wsLane.state !== 'open';
    });
    this.button.disabled = wsLane.state !== 'open';
    this.render();
  }

  async probe(): Promise<void> {
    const client = this.wsLane.client;
    if (!(client instanceof WebSocketClient) || client.state !== 'open') return;
    try {
      const rtt = await client.sendEcho({ sentAt: this.clock.now() });
      this.rtts.push(rtt);
      if (this.rtts.length > KEEP) this.rtts.shift();
    } catch {
      // The socket closed meanwhile (a CUT): nothing to measure.
    }
    this.render();
  }

  render(): void {
    const http = this.clock.current?.rttMs;
    const httpText = http === undefined ? '' : ` · a plain HTTP request (GET /api/time, best of 8): ${ms(http)}`;
    if (this.rtts.length === 0) {
      setText(this.out, `no echo yet${httpText}`);
      return;
    }
    const sorted = [...this.rtts].sort((a, b) => a - b);
    const last = this.rtts[this.rtts.length - 1] as number;
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    setText(
      this.out,
      `last ${ms(last)} · median ${ms(median)} · min ${ms(sorted[0] as number)} (${this.rtts.length} probes)${httpText}`,
    );
  }
}
