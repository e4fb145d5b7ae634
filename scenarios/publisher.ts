/**
 * The runner as the feed's source, through `POST /api/publish` (straight to the server, so it
 * never counts as a transport's traffic):
 *
 * - `poisson`: exponentially distributed gaps, mean 1/λ — the arrivals behind the polling
 *   model's e^(−λT) share of empty polls (FACTS.md). The ticker is evenly spaced instead
 *   (then the empty share is 1 − λT for λT ≤ 1).
 * - `even`: evenly spaced, due times kept by count so timer lateness does not accumulate.
 *
 * `data` is a bare string padded so the whole message JSON is about `payloadBytes`: messages
 * can then be as small as the envelope allows (~60 B), below the ticker's floor.
 */

import type { ControlClient } from '../client/control.js';
import { envelopeBytes } from '../contract/index.js';

export class Publisher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private running = false;
  private startedAt = 0;
  private scheduled = 0;
  /** The seq the next message will probably get (for the padding estimate). */
  private nextSeq = 1;
  published = 0;
  failed = 0;

  constructor(
    private api: ControlClient,
    private readonly process: 'even' | 'poisson',
    private readonly rate: number,
    private readonly payloadBytes: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Publish to this server from now on (after a restart: its seqs start again at 1). */
  follow(api: ControlClient, head: number): void {
    this.api = api;
    this.nextSeq = head + 1;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = performance.now();
    this.scheduled = 0;
    this.schedule();
  }

  /** Stop, and wait for what is in flight: after this the feed's head is final. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inflight]);
  }

  private schedule(): void {
    let waitMs: number;
    if (this.process === 'poisson') {
      // Inverse transform: −ln(U)/λ is exponential with mean 1/λ (1 − U avoids ln 0).
      waitMs = (-Math.log(1 - this.random()) / this.rate) * 1000;
    } else {
      this.scheduled += 1;
      waitMs = this.startedAt + (this.scheduled / this.rate) * 1000 - performance.now();
    }
    this.timer = setTimeout(
      () => {
        if (!this.running) return;
        this.publishOne();
        this.schedule();
      },
      Math.max(0, waitMs),
    );
  }

  private publishOne(): void {
    const seq = this.nextSeq++;
    // The envelope with an 8-character epoch (the server's), plus the quotes of the string `data`.
    const envelope = envelopeBytes('xxxxxxxx', seq) + 2;
    const data = 'x'.repeat(Math.max(0, this.payloadBytes - envelope));
    const request = this.api.publish(data).then(
      () => {
        this.published += 1;
      },
      () => {
        this.failed += 1;
      },
    );
    this.inflight.add(request);
    void request.finally(() => this.inflight.delete(request));
  }
}
