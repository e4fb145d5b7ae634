/**
 * Named network conditions the lab can put between a client and the server (scenarios/shaper.ts
 * does the shaping, in the byte stream of each TCP connection; docs in scenarios/README.md).
 *
 * A profile is a definition, not a measurement: each says where its numbers come from. The
 * shaper adds these on top of loopback (whose own round trip is a few tens of µs).
 *
 * `rttMs` is the round trip the shaper adds: each direction waits rttMs/2 (one-way delay).
 * `jitterMs` moves each segment's delay by up to ± that much, uniformly, but never ahead of the
 * segment before it (TCP delivers in order, so jitter can only bunch bytes, never reorder them).
 * `lossPercent` is the chance that a segment (≤ 1460 B) is lost; TCP retransmits it after its
 * retransmission timeout (RFC 6298: at least 1 s in the RFC, 200 ms as Linux's TCP_RTO_MIN; the lab
 * uses max(200 ms, 2 × RTT)), and every byte behind it waits in the receiver's buffer: what the
 * application sees of loss is head-of-line blocking, never a gap.
 */
import { ERROR_CODES } from './index.js';

export interface NetworkParams {
  /** Round trip added by the shaper, ms (each direction waits half). */
  rttMs: number;
  /** Each segment's one-way delay varies by up to ± this, ms (never reordering). */
  jitterMs: number;
  /** Server → client cap, kbit/s (1 kbit = 1000 bit); 0 = uncapped. */
  downKbps: number;
  /** Client → server cap, kbit/s; 0 = uncapped. */
  upKbps: number;
  /** Chance that a segment is lost and held for a retransmission timeout, percent. */
  lossPercent: number;
  /** An intermediary drops a connection silently after this long without a byte either way, s; 0 = never. */
  idleTimeoutS: number;
  /** An intermediary holds response bytes until it has this many KiB or the response ends; 0 = no buffering. */
  bufferKiB: number;
}

export interface NetworkProfile extends NetworkParams {
  name: string;
  /** One line for people. */
  label: string;
  /** Where the numbers come from. */
  source: string;
}

/** Segment size the loss model works in: a TCP MSS on Ethernet (1500 − 40 B of IP and TCP headers). */
export const SEGMENT_BYTES = 1460;

/** The retransmission timeout a lost segment waits: max(200 ms, 2 × RTT) (see the top of this file). */
export function retransmitTimeoutMs(params: Pick<NetworkParams, 'rttMs'>): number {
  return Math.max(200, 2 * params.rttMs);
}

const NONE: NetworkParams = {
  rttMs: 0,
  jitterMs: 0,
  downKbps: 0,
  upKbps: 0,
  lossPercent: 0,
  idleTimeoutS: 0,
  bufferKiB: 0,
};

/** Every named profile, in the order the dashboard lists them. */
export const NETWORK_PROFILES: readonly NetworkProfile[] = [
  {
    ...NONE,
    name: 'loopback',
    label: 'loopback: nothing added',
    source: 'no shaping: the bytes still go through the shaper, so its own cost is measured too',
  },
  {
    ...NONE,
    name: 'lan',
    label: 'LAN: 1 ms RTT, 100 Mbit/s',
    rttMs: 1,
    downKbps: 100_000,
    upKbps: 100_000,
    source:
      'switched Fast Ethernet (IEEE 802.3u, 100 Mbit/s); a round trip across one switch is well under 1 ms, 1 ms is the timer grain',
  },
  {
    ...NONE,
    name: 'broadband',
    label: 'broadband: 28 ms RTT, 5 Mbit/s down, 1 Mbit/s up',
    rttMs: 28,
    downKbps: 5_000,
    upKbps: 1_000,
    source:
      'WebPageTest connectivity profile "Cable" (5/1 Mbps, 28 ms RTT), webpagetest/www/settings/connectivity.ini.sample',
  },
  {
    ...NONE,
    name: '4g',
    label: '4G: 70 ms RTT, 12 Mbit/s both ways',
    rttMs: 70,
    downKbps: 12_000,
    upKbps: 12_000,
    source:
      'WebPageTest connectivity profile "LTE" (12/12 Mbps, 70 ms RTT), webpagetest/www/settings/connectivity.ini.sample',
  },
  {
    ...NONE,
    name: '3g',
    label: '3G (fast): 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up',
    rttMs: 150,
    downKbps: 1_600,
    upKbps: 750,
    source:
      'Lighthouse throttling "mobileSlow4G" = WebPageTest "Mobile 3G – Fast" (150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up), lighthouse/core/config/constants.js',
  },
  {
    ...NONE,
    name: 'slow-3g',
    label: 'slow 3G: 400 ms RTT, 400 kbit/s both ways',
    rttMs: 400,
    downKbps: 400,
    upKbps: 400,
    source:
      'WebPageTest connectivity profile "3GSlow" (400/400 Kbps, 400 ms RTT), webpagetest/www/settings/connectivity.ini.sample',
  },
  {
    ...NONE,
    name: 'satellite',
    label: 'geostationary satellite: 600 ms RTT, 10 Mbit/s down, 2 Mbit/s up',
    rttMs: 600,
    downKbps: 10_000,
    upKbps: 2_000,
    source:
      'RFC 2488 §2: a GEO hop is ~279 ms up and down, ~558 ms round trip before any terrestrial part; the rates are an illustrative consumer plan',
  },
  {
    ...NONE,
    name: 'lossy-wifi',
    label: 'lossy Wi-Fi: 40 ms RTT ± 10 ms jitter, 2 % segment loss, 20 Mbit/s',
    rttMs: 40,
    jitterMs: 10,
    downKbps: 20_000,
    upKbps: 20_000,
    lossPercent: 2,
    source:
      'the lab\'s own choice, in the style of tc-netem(8)\'s "delay 100ms 10ms" and "loss" examples: a congested cell where link-layer retries do not hide all loss',
  },
  {
    ...NONE,
    name: 'buffering-proxy',
    label: 'buffering proxy: holds response bodies until 8 KiB or their end (ignores X-Accel-Buffering)',
    bufferKiB: 8,
    source:
      'nginx proxy_buffering on (the default) with proxy_buffers "8 4k|8k": a response is read into 8 KiB buffers; SSE behind it needs "X-Accel-Buffering: no" (nginx docs, ngx_http_proxy_module)',
  },
  {
    ...NONE,
    name: 'idle-cut-proxy',
    label: 'idle-cutting middlebox: drops a connection silent for 20 s',
    idleTimeoutS: 20,
    source:
      "NAT and load-balancer idle timeouts (RFC 5382 REQ-5: ≥ 2 h 4 min for established TCP, often far less in practice; AWS ELB 60 s default); 20 s so a lab run shows it, above SSE's 15 s heartbeat and below WebSocket's 25 s ping",
  },
];

export const NETWORK_NAMES: readonly string[] = NETWORK_PROFILES.map((p) => p.name);

/** The allowed range of each parameter (an override outside it is refused, listing this). */
export const NETWORK_LIMITS: Record<keyof NetworkParams, { min: number; max: number; unit: string }> = {
  rttMs: { min: 0, max: 5_000, unit: 'ms' },
  jitterMs: { min: 0, max: 1_000, unit: 'ms' },
  downKbps: { min: 0, max: 10_000_000, unit: 'kbit/s (0 = uncapped)' },
  upKbps: { min: 0, max: 10_000_000, unit: 'kbit/s (0 = uncapped)' },
  lossPercent: { min: 0, max: 50, unit: '%' },
  idleTimeoutS: { min: 0, max: 3_600, unit: 's (0 = never)' },
  bufferKiB: { min: 0, max: 1_024, unit: 'KiB (0 = no buffering)' },
};

export const NETWORK_PARAM_NAMES = Object.keys(NETWORK_LIMITS) as (keyof NetworkParams)[];

/** A profile that was asked for and checked: the name it started from and every parameter. */
export interface ResolvedNetwork extends NetworkParams {
  /** The profile name, or `<name>+custom` when parameters were overridden. */
  name: string;
  profile: string;
  label: string;
  source: string;
}

export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  /** Stable code (HTTP 400 body `code`). */
  readonly code = ERROR_CODES.badNetwork;
}

/** What is valid, in one sentence, for error messages. */
export function validNetworks(): string {
  const ranges = NETWORK_PARAM_NAMES.map((k) => `${k} ${NETWORK_LIMITS[k].min}…${NETWORK_LIMITS[k].max}`).join(', ');
  return `profiles: ${NETWORK_NAMES.join(', ')}; parameters: ${ranges}`;
}

export function findNetwork(name: string): NetworkProfile | undefined {
  return NETWORK_PROFILES.find((p) => p.name === name);
}

/**
 * A profile by name, with optional parameter overrides, checked: throws a NetworkError that
 * lists what is valid. Jitter may not exceed half the RTT (a delay never goes below zero).
 */
export function resolveNetwork(name: unknown, overrides: Partial<Record<string, unknown>> = {}): ResolvedNetwork {
  const profile = typeof name === 'string' ? findNetwork(name) : undefined;
  if (!profile) throw new NetworkError(`unknown network profile ${JSON.stringify(name)}; ${validNetworks()}`);
  const params: NetworkParams = pickParams(profile);
  const changed: string[] = [];
  for (const [key, raw] of Object.entries(overrides)) {
    if (raw === undefined) continue;
    if (!(NETWORK_PARAM_NAMES as string[]).includes(key))
      throw new NetworkError(`unknown network parameter ${JSON.stringify(key)}; ${validNetworks()}`);
    const k = key as keyof NetworkParams;
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    const { min, max, unit } = NETWORK_LIMITS[k];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
      throw new NetworkError(`${k} must be a number within ${min}…${max} ${unit}, got ${JSON.stringify(raw)}`);
    params[k] = value;
    changed.push(k);
  }
  if (params.jitterMs > params.rttMs / 2)
    throw new NetworkError(
      `jitterMs (${params.jitterMs}) must be at most half of rttMs (${params.rttMs}): a one-way delay cannot go below zero`,
    );
  return {
    ...params,
    name: changed.length > 0 ? `${profile.name}+custom` : profile.name,
    profile: profile.name,
    label: profile.label,
    source: profile.source,
  };
}

/**
 * `3g` or `3g?rttMs=300&lossPercent=1` (the CLI's `--network`, a scenario's `network:`), checked.
 */
export function parseNetworkSpec(spec: unknown): ResolvedNetwork {
  if (typeof spec !== 'string' || spec === '')
    throw new NetworkError(`a network is a profile name, got ${JSON.stringify(spec)}; ${validNetworks()}`);
  const at = spec.indexOf('?');
  if (at < 0) return resolveNetwork(spec);
  const overrides: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(spec.slice(at + 1))) overrides[k] = v;
  return resolveNetwork(spec.slice(0, at), overrides);
}

export function pickParams(p: NetworkParams): NetworkParams {
  return {
    rttMs: p.rttMs,
    jitterMs: p.jitterMs,
    downKbps: p.downKbps,
    upKbps: p.upKbps,
    lossPercent: p.lossPercent,
    idleTimeoutS: p.idleTimeoutS,
    bufferKiB: p.bufferKiB,
  };
}

/** Time to put `bytes` on a link of `kbps` (0 = uncapped), ms. */
export function serializationMs(bytes: number, kbps: number): number {
  return kbps > 0 ? (bytes * 8) / kbps : 0;
}

/** `GET /api/networks`. */
export interface NetworksResponse {
  profiles: (NetworkProfile & { retransmitTimeoutMs: number })[];
  limits: typeof NETWORK_LIMITS;
}
