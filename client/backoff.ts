/**
 * Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 *
 *   delay(attempt) = random(0, min(cap, base · 2^attempt))
 *
 * Full jitter spreads a crowd of clients that lost the same server at the same instant, so
 * they do not all come back in one thundering herd. Attempt 0 is the first retry, so with the
 * default base of 250 ms a dropped client is usually back within a quarter of a second.
 */

export interface BackoffOptions {
  /** Ceiling of the first retry's delay, ms. */
  baseMs: number;
  /** No delay ever exceeds this, ms. */
  capMs: number;
  /** Uniform in [0, 1). Injectable for tests. */
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 250,
  capMs: 10_000,
  random: Math.random,
};

/** The ceiling of the delay before retry number `attempt` (0-based): min(cap, base · 2^attempt). */
export function backoffCeiling(attempt: number, options: Pick<BackoffOptions, 'baseMs' | 'capMs'>): number {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  // 2 ** 1100 is Infinity, and min() takes care of it; no overflow to guard against.
  return Math.min(options.capMs, options.baseMs * 2 ** attempt);
}

/** A full-jitter delay before retry number `attempt` (0-based), ms. */
export function backoffDelay(attempt: number, options: Partial<BackoffOptions> = {}): number {
  const resolved = { ...DEFAULT_BACKOFF, ...options };
  return resolved.random() * backoffCeiling(attempt, resolved);
}

/** Counts the attempts of one reconnecting client. */
export class Backoff {
  private readonly options: BackoffOptions;
  private attempts = 0;

  constructor(options: Partial<BackoffOptions> = {}) {
    const resolved = { ...DEFAULT_BACKOFF, ...options };
    if (!(resolved.baseMs >= 0) || !(resolved.capMs >= resolved.baseMs)) {
      throw new RangeError(`backoff needs 0 <= baseMs <= capMs, got baseMs=${resolved.baseMs} capMs=${resolved.capMs}`);
    }
    this.options = resolved;
  }

  /** How many retries have been scheduled since the last success. */
  get attempt(): number {
    return this.attempts;
  }

  /** The delay before the next retry; counts it. */
  next(): number {
    const delay = backoffDelay(this.attempts, this.options);
    this.attempts++;
    return delay;
  }

  /** A connection worked: the next failure starts from the fast first retry again. */
  reset(): void {
    this.attempts = 0;
  }
}
