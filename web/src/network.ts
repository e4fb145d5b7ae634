/**
 * Network profiles in the dashboard: the list (`GET /api/networks`), and a shaping listener per
 * profile (`POST /api/networks/<name>/listener`, server/networks.ts) that a lane's real client
 * connects through. `direct` is no listener at all: the lane talks to the page's own origin.
 *
 * What a profile does to each transport, in a sentence the lane shows, is said here too.
 */
import type { TransportName } from '../../contract/index.js';
import type { NetworkProfile, NetworksResponse } from '../../contract/networks.js';
import { ApiError } from './api.js';

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
  if (profile.bufferKiB > 0) {
    const kib = `${profile.bufferKiB} KiB`;
    switch (transport) {
      case 'sse':
        return `Behind a buffering proxy: it holds a response's body until it has ${kib} or the response ends. An SSE stream is one response that never ends, so events wait here until ${kib} have piled up — the lane freezes, then gets a burst.`;
      case 'websocket':
        return `Behind a buffering proxy: after its 101 a WebSocket is a tunnel, which the proxy relays as it comes — frames keep arriving.`;
      default:
        return `Behind a buffering proxy: each poll answer ends, so it passes whole as soon as it is complete.`;
    }
  }
  if (profile.idleTimeoutS > 0) {
    const s = `${profile.idleTimeoutS} s`;
    switch (transport) {
      case 'sse':
        return `Behind a middlebox that forgets connections quiet for ${s}: SSE's heartbeat every 15 s keeps this one alive.`;
      case 'websocket':
        return `Behind a middlebox that forgets connections quiet for ${s}: the server pings every 25 s — too rarely. On a quiet feed the connection is dropped silently and this client, never told, waits forever.`;
      case 'long-poll':
        return `Behind a middlebox that forgets connections quiet for ${s}: a poll held longer than that is cut silently, and only the request timeout brings the client back. Hold polls under ${s}.`;
      case 'short-poll':
        return `Behind a middlebox that forgets connections quiet for ${s}: polls are never quiet that long.`;
    }
  }
  if (profile.lossPercent > 0)
    return `${profile.lossPercent} % of segments are lost and resent after max(200 ms, 2 × RTT): every byte behind one waits too (head-of-line blocking), so ages show spikes, never gaps.`;
  return null;
}
