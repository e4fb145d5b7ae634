/**
 * Long polling: `GET /api/long-poll?since=…&timeout=…` is held by the server until a message
 * newer than `since` exists (then answered at once) or `timeout` ms pass (answered empty).
 * Either way the client asks again immediately, so one request is nearly always waiting on the
 * server: latency close to a push transport, at the price of one HTTP round trip per answer.
 */
import { LONG_POLL_TIMEOUT, ROUTES } from '../../contract/index.js';
import { PollingClient } from './polling.js';
import type { FeedClientOptions } from './types.js';

/** How long past the server's own timeout we wait before calling the connection dead. */
const GRACE_MS = 10_000;

export class LongPollClient extends PollingClient {
  readonly transport = 'long-poll' as const;
  protected readonly route = ROUTES['long-poll'];

  constructor(options: FeedClientOptions) {
    super(options);
    const timeout = options.longPollTimeoutMs;
    if (
      timeout !== undefined &&
      !(Number.isInteger(timeout) && timeout >= LONG_POLL_TIMEOUT.min && timeout <= LONG_POLL_TIMEOUT.max)
    ) {
      throw new RangeError(
        `longPollTimeoutMs must be an integer in ${LONG_POLL_TIMEOUT.min}…${LONG_POLL_TIMEOUT.max}, got ${timeout}`,
      );
    }
  }

  protected query(): Record<string, number | undefined> {
    return { timeout: this.options.longPollTimeoutMs };
  }

  protected requestTimeoutMs(): number {
    return (this.options.longPollTimeoutMs ?? LONG_POLL_TIMEOUT.default) + GRACE_MS;
  }

  protected next(session: number): void {
    this.poll(this.cursor, session);
  }
}
