/**
 * Short polling: ask `GET /api/poll?since=…` every `pollIntervalMs`, whether or not anything
 * happened. A message waits on the server for up to one interval (T/2 on average), and most
 * answers are empty when the feed is slower than the polls: the cost the lab measures.
 *
 * A full answer (`limit` messages) is followed by another poll at once: there may be more.
 */
import { ROUTES } from '../../contract/index.js';
import { DEFAULT_POLL_INTERVAL_MS } from './base.js';
import { PollingClient } from './polling.js';

/** Longest a short poll may take before we call the connection dead. */
const SHORT_POLL_TIMEOUT_MS = 30_000;

export class ShortPollClient extends PollingClient {
  readonly transport = 'short-poll' as const;
  protected readonly route = ROUTES['short-poll'];

  protected query(): Record<string, number | undefined> {
    return { limit: this.options.pollLimit };
  }

  protected override limit(): number {
    return this.options.pollLimit ?? super.limit();
  }

  protected requestTimeoutMs(): number {
    return SHORT_POLL_TIMEOUT_MS;
  }

  protected next(session: number): void {
    this.later(this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, () => this.poll(this.cursor, session));
  }
}
