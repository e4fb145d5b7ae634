/** The lab's options: one place for defaults, checked once when the app is built. */
import { FEED_LIMITS, type FeedMode, isFeedRate, isPayloadBytes } from '../contract/index.js';

export interface LabOptions {
  /** Messages kept for resume. */
  retention: number;
  /** Ticker start-up settings. */
  rate: number;
  payloadBytes: number;
  mode: FeedMode;
  running: boolean;
  /** SSE `:` comment interval. */
  sseHeartbeatMs: number;
  /** SSE `retry:` advice to EventSource. */
  sseRetryMs: number;
  /** WebSocket ping interval; a peer that has not answered the previous ping is terminated. */
  wsPingMs: number;
  /** Outgoing bytes a stream may have queued before it counts as a slow consumer and is cut. */
  slowConsumerBytes: number;
  /**
   * A resuming stream's catch-up is paced by the socket and not held to `slowConsumerBytes`
   * (server/transports/catch-up.ts); a client that takes nothing of it for this long is cut the same way.
   */
  catchUpStallMs: number;
  /** Incoming WebSocket frames per second (token bucket, burst = 2 s worth) before close 4429. */
  wsFramesPerSecond: number;
  /** Socket.IO (Engine.IO) ping interval: `2` from the server, `3` back. */
  socketIoPingMs: number;
  /**
   * How long Engine.IO waits for the `3` after its `2` before it closes the connection. Engine.IO's
   * own default (20 s) is under one `socketIoPingMs` of 25 s, so a frozen peer is closed within two
   * heartbeat intervals, as a WebSocket is (docs/reliability.md).
   */
  socketIoPingTimeoutMs: number;
  /** How long Socket.IO's connection-state recovery keeps a disconnected session and the broadcasts it missed. */
  socketIoRecoveryMs: number;
  /** Open streams (WebSocket, SSE, held long polls) across the server. */
  maxStreams: number;
  /** Data frames one WebSocket message may be split into before close 1009. */
  wsMaxFragments: number;
  /** A fragmented WebSocket message not finished within this closes 1008. */
  wsFragmentTimeoutMs: number;
  /** Polls (short and long) per second one client may make (client id, else address), bursts of twice that; 0 = no limit. */
  pollRequestsPerSecond: number;
  /** SSE `retry:` advice of an overload answer, ms; each answer gets it ± 50 % (jitter). */
  sseOverloadRetryMs: number;
  /** Host names accepted on a loopback connection besides the loopback names (DNS rebinding guard). */
  allowedHosts: string[];
  /** Origins allowed besides the server's own (`http://host:port`). */
  allowedOrigins: string[];
  /** Slowloris bounds: time for a client's request headers, and for its whole request. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Log requests (off in tests and scenarios: logging skews the numbers). */
  logger: boolean;
  /**
   * Answer well-formed short polls before Fastify's router (server/fast-lane.ts), with the memory
   * feed and no logger. Read per request: test/fast-lane.property.test.ts turns it off and on.
   */
  fastPollLane: boolean;
  /** Serve the built dashboard from this folder, if it exists. */
  webRoot: string | null;
  /**
   * Count bytes out the approximate way even where Node's socket internals allow the exact one
   * (docs/accounting.md, "Exact or approximate"): to check the fallback, never for measuring.
   */
  forceApproximateBytes: boolean;
  /**
   * Classroom mode (server/classroom/): the instructor's token, the URL students open, and where
   * class exports go. Null: an ordinary lab, with no roles.
   */
  classroom: {
    instructorToken: string;
    joinUrl: string | null;
    resultsDir: string;
    /** A student silent this long has left (default CLASS_LEAVE_AFTER_MS, three heartbeats). */
    leaveAfterMs?: number;
  } | null;
  /** The feed's backend: null = memory (this process only); `redis://host:port` = one feed shared by many instances. */
  redisUrl: string | null;
  /** This instance's name, shown to clients (`X-Lab-Instance`, hello frames); null = made up from the pid. */
  instance: string | null;
}

export const DEFAULT_OPTIONS: LabOptions = {
  retention: 10_000,
  rate: 1,
  payloadBytes: 128,
  mode: 'steady',
  running: false,
  sseHeartbeatMs: 15_000,
  sseRetryMs: 1_000,
  wsPingMs: 25_000,
  slowConsumerBytes: 1024 * 1024,
  catchUpStallMs: 15_000,
  wsFramesPerSecond: 100,
  wsMaxFragments: 64,
  wsFragmentTimeoutMs: 10_000,
  pollRequestsPerSecond: 500,
  sseOverloadRetryMs: 10_000,
  allowedHosts: [],
  socketIoPingMs: 25_000,
  socketIoPingTimeoutMs: 20_000,
  socketIoRecoveryMs: 120_000,
  maxStreams: 10_000,
  allowedOrigins: [],
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  logger: false,
  fastPollLane: true,
  webRoot: null,
  forceApproximateBytes: false,
  classroom: null,
  redisUrl: null,
  instance: null,
};

export function resolveOptions(partial: Partial<LabOptions> = {}): LabOptions {
  const options = { ...DEFAULT_OPTIONS, ...partial };
  const positive = [
    'retention',
    'sseHeartbeatMs',
    'sseRetryMs',
    'wsPingMs',
    'slowConsumerBytes',
    'catchUpStallMs',
    'wsFramesPerSecond',
    'wsMaxFragments',
    'wsFragmentTimeoutMs',
    'sseOverloadRetryMs',
    'socketIoPingMs',
    'socketIoPingTimeoutMs',
    'socketIoRecoveryMs',
    'maxStreams',
    'headersTimeoutMs',
    'requestTimeoutMs',
  ] as const;
  for (const key of positive) {
    if (!Number.isInteger(options[key]) || options[key] <= 0) {
      throw new Error(`Lab option ${key} must be a positive integer, got ${options[key]}`);
    }
  }
  if (!Number.isInteger(options.pollRequestsPerSecond) || options.pollRequestsPerSecond < 0) {
    throw new Error(
      `Lab option pollRequestsPerSecond must be a whole number ≥ 0 (0 = no limit), got ${options.pollRequestsPerSecond}`,
    );
  }
  if (!isFeedRate(options.rate)) {
    throw new Error(`Lab option rate must be within 0…${FEED_LIMITS.maxRate} messages/s, got ${options.rate}`);
  }
  if (!isPayloadBytes(options.payloadBytes)) {
    throw new Error(
      `Lab option payloadBytes must be within ${FEED_LIMITS.minPayloadBytes}…${FEED_LIMITS.maxPayloadBytes}, got ${options.payloadBytes}`,
    );
  }
  return options;
}

/** Body and WebSocket frame limit (docs/contract.md, "Limits"). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * permessage-deflate as the server offers it (RFC 7692), for connections that asked `compress=1`.
 * Every message is compressed (threshold 0; ws's default skips those under 1 KiB, which would hide
 * what deflate does to the lab's small messages). Context takeover and window bits are whatever
 * the client's offer asks for (`server_no_context_takeover`, `server_max_window_bits`); without
 * them, each connection keeps a 15-bit (32 KiB) window per direction. At most 10 zlib jobs run at
 * once (ws's default), so compression cannot take the whole thread pool.
 */
export const WS_DEFLATE = { threshold: 0, concurrencyLimit: 10 } as const;
