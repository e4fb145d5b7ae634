/**
 * network-quiet: network-profiles' sweep (loopback, broadband, lossy-wifi, 4g, 3g) with a quiet
 * feed, 1 msg/s (Poisson). A quiet message mostly finds a long poll already held, so long polling
 * should come close to SSE and WebSocket at every RTT (contract/network-models.ts); short polling
 * still pays T/2. Longer window than the busy run, for enough messages per point.
 */
import { networkSweep } from './network-profiles.js';

export default networkSweep({ name: 'network-quiet', rate: 1, durationMs: 24_000 });
