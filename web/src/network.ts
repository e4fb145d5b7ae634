/**
 * Network profiles in the dashboard: the list (`GET /api/networks`), and a shaping listener per
 * profile (`POST /api/networks/<name>/listener`, server/networks.ts) that a lane's real client
 * connects through. `direct` is no listener at all: the lane talks to the page's own origin.
 *
 * What a profile does to a transport, in a sentence the lane shows: the loss here (the same for all),
 * buffering and idle timeouts in the transport's own lane file (lanes/<transport>.ts).
 */
import type { TransportName } from '../../contract/index.js';
import type { NetworkProfile, NetworksResponse } from '../../contract/networks.js';
import { ApiError } from './api.js';
import { LANE_KINDS } from './lanes/index.js';

export const DIRECT = 'direct';

export interface LaneNetwork {
  /** `direct` or a profile name. */
  name: string;
  profile: NetworkProfile | null;
  /** Where the lane's client connects: the page's origin, or the listener's. */
  baseUrl: string;
}

let profiles: Promise<NetworkProfile[]> | null = null;

export function networkProfiles(): Promise<NetworkProfile[]> {
  profiles ??= fetch('/api/networks', { cache: 'no-store' })
    .then((r) => r.json() as Promise<NetworksResponse>)
    .then((body) => body.profiles);
  return profiles;
}

const listeners = new Map<string, Promise<LaneNetwork>>();

/** The lane network for a name: direct, or a listener started (once) for that profile. */
export function laneNetwork(name: string): Promise<LaneNetwork> {
  if (name === DIRECT) return Promise.resolve({ name, profile: null, baseUrl: location.origin });
  let found = listeners.get(name);
  if (!found) {
    found = (async () => {
      const response = await fetch(`/api/networks/${encodeURIComponent(name)}/listener`, { method: 'POST' });
      const body = (await response.json()) as { port?: number; message?: string; network?: NetworkProfile };
      if (!response.ok || body.port === undefined)
        throw new ApiError(`network ${name}: ${body.message ?? response.status}`, response.status);
      const profile = (await networkProfiles()).find((p) => p.name === name) ?? null;
      // The listener binds 127.0.0.1: the lane connects there whatever name the page was opened by.
      return { name, profile, baseUrl: `http://127.0.0.1:${body.port}` };
    })();
    found.catch(() => listeners.delete(name));
    listeners.set(name, found);
  }
  return found;
}

/** One line on what this lane's network does to this transport, or null when there is nothing to say. */
export function networkWhy(profile: NetworkProfile | null, transport: TransportName): string | null {
  if (profile === null) return null;
  const kind = LANE_KINDS[transport];
  if (profile.bufferKiB > 0) return kind.behindBufferingProxy(`${profile.bufferKiB} KiB`);
  if (profile.idleTimeoutS > 0) {
    const line = kind.behindIdleTimeout(`${profile.idleTimeoutS} s`);
    if (line !== null) return line;
  }
  if (profile.lossPercent > 0)
    return `${profile.lossPercent} % of segments are lost and resent after max(200 ms, 2 × RTT): every byte behind one waits too (head-of-line blocking), so ages show spikes, never gaps.`;
  return null;
}
