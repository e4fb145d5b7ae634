/**
 * Socket.IO's slow-consumer bound, the equivalent of the WebSocket's 4001 and SSE's bounded
 * buffer (docs/contract.md, "WebSocket close codes").
 *
 * Engine.IO queues what it sends in its socket's `writeBuffer` and hands it to the transport only
 * while the transport is writable: a long poll must be waiting, a WebSocket must have written its
 * previous batch to the kernel. A client that stops reading therefore makes `writeBuffer` grow
 * with every broadcast, without limit, until the ping timeout (25 s + 20 s) ends it. Here the
 * bytes queued since the last flush are counted (Engine.IO's `packetCreate` and `flush` events).
 * Past the bound the client is not cut at once: a backlog sent in one go (a recovery's replay, the
 * cursor's catch-up) passes it too, and a reading client flushes it within milliseconds. Only if
 * no flush came for `FLUSH_GRACE_MS` after the bound was passed — the client took nothing in
 * that time — is it cut:
 *
 * - on a WebSocket, with close code 4001 and the WebSocket lane's reason (the close frame goes
 *   out behind what the kernel already holds; the TCP socket is destroyed if the peer has not
 *   answered within the grace period);
 * - on long polling, by ending the Engine.IO session (its next poll is refused: `Session ID unknown`);
 * - either way the Engine.IO socket is closed with its buffer discarded, so the server stops
 *   holding the backlog at once. The client resumes as after any cut: Socket.IO's recovery
 *   replays what it missed (within `socketIoRecoveryMs`), else the lab's cursor.
 *
 * The watch starts once the connection is set up (socket-io.ts): what was queued before — a
 * recovery's replay, the cursor's catch-up — is not counted, as the other streams' catch-up is not
 * held to their live bound (docs/contract.md, "Catch-up"); Engine.IO's ping timeout still ends a
 * client that takes none of it.
 */
import type { Socket as EngineSocket } from 'engine.io';
import { CLOSE_CODES } from '../../contract/index.js';

/** The reason in the 4001 close frame: the same words as the WebSocket lane's. */
export const SLOW_CONSUMER_REASON = 'slow consumer: reconnect and resume with your cursor';

/** How long a WebSocket peer has to answer the 4001 close before its TCP socket is destroyed. */
const CLOSE_GRACE_MS = 5_000;
/** How long a queue past the bound may wait for the transport to take it before the client is cut. */
export const FLUSH_GRACE_MS = 1_000;

interface WsLike {
  close(code: number, reason: string): void;
  terminate(): void;
}

const bytesOf = (data: unknown): number =>
  typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Uint8Array ? data.byteLength : 0;

/**
 * Watches one Engine.IO connection; calls `onCut` once if more than `limitBytes` were queued for
 * it and not handed to its transport, after cutting it.
 */
export function boundBacklog(conn: EngineSocket, limitBytes: number, onCut: (queuedBytes: number) => void): void {
  let queued = 0;
  /** Bumped by every flush: a check finding it unchanged knows nothing was taken since. */
  let flushes = 0;
  let pending = false;
  let cut = false;
  const arm = () => {
    pending = true;
    const since = flushes;
    setTimeout(() => check(since), FLUSH_GRACE_MS).unref();
  };
  const check = (since: number) => {
    pending = false;
    if (cut || queued <= limitBytes || conn.readyState === 'closed') return;
    // It took something since, and has queued past the bound again: another grace period.
    if (flushes !== since) return arm();
    cut = true;
    // The WebSocket under Engine.IO's transport (a `ws` socket), when it is one.
    const ws = conn.transport.name === 'websocket' ? (conn.transport as unknown as { socket?: WsLike }).socket : null;
    if (ws) {
      ws.close(CLOSE_CODES.slowConsumer, SLOW_CONSUMER_REASON);
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    }
    // Discard the buffer and close now, not after a drain that will not come.
    conn.close(true);
    onCut(queued);
  };
  conn.on('packetCreate', (packet: { data?: unknown }) => {
    if (cut) return;
    queued += bytesOf(packet.data);
    if (queued > limitBytes && !pending) arm();
  });
  conn.on('flush', () => {
    queued = 0;
    flushes++;
  });
}
