/**
 * The feed's settings and their limits, in one place: the server's start-up options
 * (server/config.ts), `PUT /api/feed` (server/feed/routes.ts) and the scenario definitions
 * (scenarios/define.ts) all check against these. Also the size of a message's envelope, which the
 * ticker and the scenario publisher both pad up to `payloadBytes`.
 */

export const FEED_MODES = ['steady', 'bursty'] as const;
export type FeedMode = (typeof FEED_MODES)[number];

export const FEED_LIMITS = {
  maxRate: 10_000,
  minPayloadBytes: 100,
  maxPayloadBytes: 65_536,
} as const;

/**
 * The smallest message the scenario runner publishes itself: the envelope
 * `{"epoch":"xxxxxxxx","seq":N,"ts":T,"data":""}` alone is about 60 B.
 */
export const MIN_MESSAGE_BYTES = 64;

/** A ticker rate: messages per second within 0…maxRate (0 = stopped; fractions allowed). */
export function isFeedRate(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= FEED_LIMITS.maxRate;
}

/** A whole message size within min…maxPayloadBytes (min defaults to the ticker's floor). */
export function isPayloadBytes(value: unknown, min: number = FEED_LIMITS.minPayloadBytes): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= FEED_LIMITS.maxPayloadBytes;
}

export function isFeedMode(value: unknown): value is FeedMode {
  return (FEED_MODES as readonly unknown[]).includes(value);
}

/**
 * Bytes of a message's JSON without its `data`: `{"epoch":"…","seq":N,"ts":T,"data":}`, estimated
 * with this message's numbers (the sub-millisecond digits of `ts` as three).
 */
export function envelopeBytes(epoch: string, seq: number, nowMs: number = Date.now()): number {
  return `{"epoch":"${epoch}","seq":${seq},"ts":${nowMs}.123,"data":}`.length;
}
