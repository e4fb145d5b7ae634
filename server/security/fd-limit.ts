/**
 * Streams within the process's file-descriptor limit. Every open stream (WebSocket, SSE, held long
 * poll) holds one descriptor; a server that lets streams take them all can no longer accept a
 * connection to say no, and the kernel's queued connections are then closed without a byte
 * (libuv's EMFILE handling). So the lab keeps a quarter of its descriptors (at least 64) for
 * everything that is not a stream — polls, control calls, the answers that refuse (503
 * `LAB_TOO_MANY_CONNECTIONS`, SSE `event: overload`) — and caps `maxStreams` below the rest.
 * `ulimit -n 256`: 192 streams, 64 descriptors to answer with (docs/reliability.md).
 */
import { readFileSync } from 'node:fs';

/** The soft `Max open files` of this process (Linux /proc), or null where it cannot be read. */
export function fdSoftLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return null;
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined) return null;
  if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
  const n = Number(soft);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** Descriptors kept for what is not a stream: a quarter of the limit, at least 64. */
export function fdReserve(softLimit: number): number {
  return Math.max(64, Math.ceil(softLimit / 4));
}

/** `maxStreams` within the limit (at least 1): unchanged when the limit leaves room for it. */
export function streamsWithinFdLimit(maxStreams: number, softLimit: number | null): number {
  if (softLimit === null || !Number.isFinite(softLimit)) return maxStreams;
  return Math.max(1, Math.min(maxStreams, softLimit - fdReserve(softLimit)));
}
