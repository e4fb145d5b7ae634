/**
 * Fan-out of the feed to a transport's open streams: ONE feed subscription per transport, not one
 * per stream. Each published message is prepared once — the WebSocket frame, the SSE event — and
 * handed to every subscriber, so the per-subscriber work is a write and a count.
 *
 * `hotPath` counts what the hot paths do (frames built, events built, long-poll bodies built,
 * waiters woken and hold timers armed), so tests can assert the work per publish without timing anything.
 */
import type { Socket } from 'node:net';
import type { ResetNotice } from '../../contract/index.js';
import type { Feed, FeedEntry } from '../feed/feed.js';

export const hotPath = {
  /** WebSocket frames built (once per message, whatever the number of sockets). */
  wsFramesBuilt: 0,
  /** WebSocket batches of several messages concatenated (once per codec per tick; ws-batch.ts). */
  wsBatchesBuilt: 0,
  /** Writes of live WebSocket messages to plain sockets (one per socket per tick; ws-batch.ts). */
  wsLiveWrites: 0,
  /** SSE `id:`/`data:` events built (once per message for live streams). */
  sseEventsBuilt: 0,
  /** Long-poll answer bodies built for woken waiters (once per distinct cursor and limit). */
  longPollBodiesBuilt: 0,
  /** Held long polls answered by a publish. */
  longPollWakeups: 0,
  /** Hold-deadline timers armed (one per distinct timeout while polls are held; hold-deadlines.ts). */
  longPollTimersArmed: 0,
  /** Sockets uncorked after a burst of writes (one flush per socket per tick). */
  corkedFlushes: 0,
};

export class FanOut<Prepared> {
  private readonly subscribers = new Set<(prepared: Prepared, entry: FeedEntry) => void>();
  /** Told when the feed jumps (only behind a broker: a new epoch, a hole; server/feed/feed.ts). */
  private readonly resetHandlers = new Set<(notice: ResetNotice) => void>();

  constructor(feed: Feed, prepare: (entry: FeedEntry) => Prepared) {
    feed.subscribe(
      (entry) => {
        if (this.subscribers.size === 0) return;
        const prepared = prepare(entry);
        for (const deliver of this.subscribers) deliver(prepared, entry);
      },
      (notice) => {
        for (const onReset of this.resetHandlers) onReset(notice);
      },
    );
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Deliver every message published from now on (and every reset); the function returned stops it. */
  add(deliver: (prepared: Prepared, entry: FeedEntry) => void, onReset?: (notice: ResetNotice) => void): () => void {
    this.subscribers.add(deliver);
    if (onReset) this.resetHandlers.add(onReset);
    return () => {
      this.subscribers.delete(deliver);
      if (onReset) this.resetHandlers.delete(onReset);
    };
  }
}

/**
 * Corks a socket for the rest of this tick: every write of a burst (a bursty ticker publishing ten
 * messages in one turn) then leaves in one writev when the tick ends, instead of one system call
 * per message. The bytes are the same; only how many syscalls carry them changes.
 *
 * Corked bytes are not handed to the kernel yet, so a socket's buffered amount is only meaningful
 * again once it is uncorked: `afterFlush` (a slow-consumer check, say) runs then. A burst is bounded
 * by the ticker (server/feed/ticker.ts), so is what a socket can queue before that check.
 */
const CORKED = Symbol('corked for this tick');
type Corkable = Socket & { [CORKED]?: boolean };
/** The sockets corked this tick and what to run once each is flushed (two arrays: no entry per socket). */
let corkedSockets: Corkable[] = [];
let afterFlushes: ((() => void) | undefined)[] = [];

function flush(): void {
  const sockets = corkedSockets;
  const after = afterFlushes;
  corkedSockets = [];
  afterFlushes = [];
  for (let i = 0; i < sockets.length; i++) {
    const socket = sockets[i] as Corkable;
    socket[CORKED] = false;
    hotPath.corkedFlushes += 1;
    socket.uncork();
    after[i]?.();
  }
}

export function corkForThisTick(socket: Socket, afterFlush?: () => void): void {
  const corkable = socket as Corkable;
  if (corkable[CORKED] === true) return;
  if (socket.writableCorked > 0) {
    // Corked by someone else, who uncorks it: nothing to flush here, check at once.
    afterFlush?.();
    return;
  }
  socket.cork();
  corkable[CORKED] = true;
  corkedSockets.push(corkable);
  afterFlushes.push(afterFlush);
  if (corkedSockets.length === 1) process.nextTick(flush);
}
