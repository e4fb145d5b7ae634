/**
 * What the hot paths do, counted: the live fan-out of the streams (tick-batch.ts: ONE feed
 * subscription per transport, each message's bytes built once, one write per socket per tick), the
 * long poll's wake-ups (long-poll-waiters.ts) and its hold timers (hold-deadlines.ts). Tests assert
 * the work per publish from these counters without timing anything (test/hot-path.test.ts).
 */
export const hotPath = {
  /** WebSocket frames built (once per message, whatever the number of sockets). */
  wsFramesBuilt: 0,
  /** WebSocket batches of several messages concatenated (once per codec per tick; tick-batch.ts). */
  wsBatchesBuilt: 0,
  /** Writes of live WebSocket messages to plain sockets (one per socket per tick; tick-batch.ts). */
  wsLiveWrites: 0,
  /** SSE `id:`/`data:` events built (once per message, live or catch-up; sse-event.ts). */
  sseEventsBuilt: 0,
  /** SSE batches of several events concatenated (once per kind, chunk or bare, per tick; tick-batch.ts). */
  sseBatchesBuilt: 0,
  /** Writes of live SSE events straight to chunked HTTP/1.1 sockets (one per socket per tick). */
  sseLiveWrites: 0,
  /** Long-poll answer bodies built for woken waiters (once per distinct cursor and limit). */
  longPollBodiesBuilt: 0,
  /** Held long polls answered by a publish. */
  longPollWakeups: 0,
  /** Hold-deadline timers armed (one per distinct timeout while polls are held; hold-deadlines.ts). */
  longPollTimersArmed: 0,
};
