/**
 * A resuming stream's catch-up (SSE, WebSocket), paced by the socket: the rule of docs/contract.md,
 * "Catch-up".
 *
 * A client that reconnects with a cursor is owed everything after it. Written in one go, a backlog
 * larger than the slow-consumer bound (1 MiB) passed the bound before the client could read any of
 * it, so the client was cut, reconnected with almost the same cursor, got the same backlog, was cut
 * again — for ever, once the feed added more while it was away than it could take in one go.
 *
 * So the catch-up is read from the feed a little at a time: entries are written while the stream
 * holds less than `highWaterBytes`, then the next ones wait until what was written has left for the
 * kernel. The server keeps only the client's position (no copy of the backlog), the catch-up never
 * counts against the live bound, and the client takes it as fast as it reads. When nothing is left
 * to read, in the same turn, the stream is subscribed to the live fan-out: no message can fall
 * between the two. From then on the live bound applies as before.
 *
 * Nothing is ever skipped silently: if the feed drops what the client has not been sent yet (it fell
 * behind the retention ring, or a broker started a new epoch), `reset` is called with the notice the
 * resume table gives for that position, and the catch-up goes on from where the notice says. A
 * client that takes nothing for `stallMs` is a frozen peer: `stalled` is called (the transport cuts
 * it as a slow consumer; it resumes with its cursor like after any cut).
 */
import type { ResetNotice } from '../../contract/index.js';
import type { Feed, FeedEntry } from '../feed/feed.js';

/** Entries read from the feed per step (each step writes until the stream is full). */
const STEP = 64;

export interface CatchUpStream {
  /** Writes one entry; `written` is called once it has left for the kernel. */
  write(entry: FeedEntry, written: () => void): void;
  /** Bytes written and not yet handed to the kernel. */
  queuedBytes(): number;
  /** The feed dropped messages this client had not been sent: say so before going on. */
  reset(notice: ResetNotice): void;
  /** The stream closed or is closing: stop. */
  gone(): boolean;
  /** Caught up: subscribe to the live fan-out (called in the same turn as the last read). */
  live(): void;
  /** Nothing was taken for `stallMs`: the transport cuts the client. */
  stalled(): void;
}

export interface CatchUpOptions {
  /** Write while less than this is queued; then wait for the stream to drain. */
  highWaterBytes: number;
  stallMs: number;
}

/** The high-water mark for a lab: a quarter of the live bound, at most 256 KiB. */
export function catchUpHighWater(slowConsumerBytes: number): number {
  return Math.max(1, Math.min(256 * 1024, Math.floor(slowConsumerBytes / 4)));
}

/**
 * Sends `feed` after `from` (a position in the feed's current epoch: the last seq the client has)
 * to `stream`, paced, then hands over to the live fan-out.
 */
export function catchUp(feed: Feed, from: number, stream: CatchUpStream, options: CatchUpOptions): void {
  let epoch = feed.epoch;
  let last = from;
  /** The last write of the latest step: once it has left, so has everything written before it. */
  let awaited: FeedEntry | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Handed over to the live fan-out: the write callbacks still to come must not start a step. */
  let handedOver = false;
  const goLive = (): void => {
    handedOver = true;
    awaited = undefined;
    clearTimeout(timer);
    stream.live();
  };
  const full = (): boolean => stream.queuedBytes() >= options.highWaterBytes;

  const step = (): void => {
    for (;;) {
      if (stream.gone()) return;
      const resolution = feed.resolve({ epoch, seq: last }, STEP);
      // A position this feed never had (a broker's replica went back): live from here, said as a reset.
      if (resolution.kind === 'future') {
        stream.reset({ reason: 'future', epoch: feed.epoch, from: feed.head + 1 });
        goLive();
        return;
      }
      if (resolution.reset) {
        stream.reset(resolution.reset);
        epoch = resolution.reset.epoch;
        last = resolution.reset.from - 1;
      }
      for (const entry of resolution.entries) {
        if (full()) break;
        last = entry.seq;
        awaited = entry;
        stream.write(entry, () => wrote(entry));
      }
      if (full()) {
        wait();
        return;
      }
      if (last >= feed.head) {
        goLive();
        return;
      }
    }
  };
  const wrote = (entry: FeedEntry): void => {
    if (handedOver || entry !== awaited) return;
    awaited = undefined;
    clearTimeout(timer);
    step();
  };
  const wait = (): void => {
    clearTimeout(timer);
    // Full with nothing of ours in flight (other frames fill the stream): look again shortly.
    timer =
      awaited === undefined
        ? setTimeout(step, 20)
        : setTimeout(() => {
            if (!stream.gone()) stream.stalled();
          }, options.stallMs);
    timer.unref();
  };

  step();
}
