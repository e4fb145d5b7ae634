/**
 * Every distinct message a client group received: (epoch, seq, age, bytes, receive time), in
 * columns of typed arrays. Whether a message belongs to the measurement is decided at the end,
 * against the window's final seq ranges: no race between "the window opens" and a message
 * that arrives in the same instant, and the latency histogram counts exactly the messages the
 * delivery audit counts. The cost ratios divide by another set: what arrived while the
 * counters ran (`between`).
 *
 * 40 bytes a delivery: a busy run of 50 000 deliveries per group costs 2 MB.
 */
import { LatencyHistogram } from '../client/latency.js';
import type { EpochRange } from './feed-window.js';

class Column {
  data = new Float64Array(1024);

  set(i: number, value: number): void {
    if (i >= this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[i] = value;
  }
}

export interface WindowedDeliveries {
  latency: LatencyHistogram;
  payloadBytes: number;
  /** In-window deliveries per second since the window opened. */
  timeline: number[];
}

export class DeliveryLog {
  private readonly epochs: string[] = [];
  private readonly epochIndex = new Map<string, number>();
  private readonly epoch = new Column();
  private readonly seq = new Column();
  private readonly ageMs = new Column();
  private readonly bytes = new Column();
  private readonly receivedAt = new Column();
  private n = 0;

  get size(): number {
    return this.n;
  }

  add(epoch: string, seq: number, ageMs: number, bytes: number, receivedAt: number): void {
    let e = this.epochIndex.get(epoch);
    if (e === undefined) {
      e = this.epochs.length;
      this.epochs.push(epoch);
      this.epochIndex.set(epoch, e);
    }
    const i = this.n++;
    this.epoch.set(i, e);
    this.seq.set(i, seq);
    this.ageMs.set(i, ageMs);
    this.bytes.set(i, bytes);
    this.receivedAt.set(i, receivedAt);
  }

  /** Deliveries received from `from` to `to` (receive time), whatever their seq: the divisor of the cost ratios. */
  between(from: number, to: number): { count: number; payloadBytes: number } {
    let count = 0;
    let payloadBytes = 0;
    for (let i = 0; i < this.n; i++) {
      const at = this.receivedAt.data[i] as number;
      if (at < from || at > to) continue;
      count += 1;
      payloadBytes += this.bytes.data[i] as number;
    }
    return { count, payloadBytes };
  }

  /** The deliveries inside `ranges`, as a histogram, payload bytes and a per-second timeline. */
  windowed(ranges: EpochRange[], startedAt: number): WindowedDeliveries {
    const bounds = this.epochs.map((epoch) => ranges.find((r) => r.epoch === epoch));
    const latency = new LatencyHistogram();
    const timeline: number[] = [];
    let payloadBytes = 0;
    for (let i = 0; i < this.n; i++) {
      const range = bounds[this.epoch.data[i] as number];
      const seq = this.seq.data[i] as number;
      if (range === undefined || seq <= range.lo || seq > range.hi) continue;
      latency.record(this.ageMs.data[i] as number);
      payloadBytes += this.bytes.data[i] as number;
      const second = Math.max(0, Math.floor(((this.receivedAt.data[i] as number) - startedAt) / 1000));
      while (timeline.length <= second) timeline.push(0);
      timeline[second] = (timeline[second] as number) + 1;
    }
    return { latency, payloadBytes, timeline };
  }
}
