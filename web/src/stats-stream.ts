/**
 * The live wire accounting: ONE EventSource on `/api/stats/stream` for all four lanes (the
 * server counts its own traffic apart, in `other`). One stream, not four, because a browser
 * gives an origin only 6 HTTP/1.1 connections and this page already holds three.
 */
import type { StatsStreamEvent as StatsEvent } from '../../contract/index.js';

export type { StatsEvent };

export interface StatsStream {
  close(): void;
}

export function openStatsStream(
  clientIds: readonly string[],
  onStats: (event: StatsEvent) => void,
  onHealth: (ok: boolean) => void,
  intervalMs = 500,
): StatsStream {
  const query = new URLSearchParams({ clients: clientIds.join(','), interval: String(intervalMs) });
  const source = new EventSource(`/api/stats/stream?${query}`);
  source.onopen = () => onHealth(true);
  // EventSource reconnects by itself after a network error; just say so meanwhile.
  source.onerror = () => onHealth(false);
  source.onmessage = (event: MessageEvent<string>) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(event.data);
    } catch {
      return;
    }
    if (typeof parsed === 'object' && parsed !== null && 'clients' in parsed) onStats(parsed as StatsEvent);
  };
  return { close: () => source.close() };
}
