/**
 * The runner's control channel to the server under test: feed settings, publishing, stats and
 * the cut fault. Always straight to the server, never through the counting proxies, so control
 * traffic never lands in a transport's bytes (the server files it under `other`).
 */
import type { FeedSettings, FeedState, StatsResponse, TransportCounters, TransportName } from '../contract/index.js';

export class ServerApi {
  constructor(readonly url: string) {}

  feed(): Promise<FeedState> {
    return this.json<FeedState>('GET', '/api/feed');
  }

  setFeed(settings: FeedSettings): Promise<FeedState> {
    return this.json<FeedState>('PUT', '/api/feed', settings);
  }

  publish(data: unknown): Promise<{ epoch: string; seq: number }> {
    return this.json('POST', '/api/publish', { data });
  }

  stats(client?: string): Promise<StatsResponse> {
    return this.json<StatsResponse>(
      'GET',
      client === undefined ? '/api/stats' : `/api/stats?client=${encodeURIComponent(client)}`,
    );
  }

  /** Drops every socket the server holds for this client (DESIGN.md's one-click fault). */
  cut(client: string): Promise<{ socketsCut: number }> {
    return this.json('POST', `/api/clients/${encodeURIComponent(client)}/cut`);
  }

  async text(path: string): Promise<string> {
    const response = await fetch(new URL(path, this.url));
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 200)}`);
    return body;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(path, this.url), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }
}

export type Counters = Pick<
  TransportCounters,
  'requests' | 'emptyResponses' | 'messages' | 'payloadBytes' | 'bytesIn' | 'bytesOut'
>;

export function zeroCounters(): Counters {
  return { requests: 0, emptyResponses: 0, messages: 0, payloadBytes: 0, bytesIn: 0, bytesOut: 0 };
}

export function countersOf(stats: StatsResponse, transport: TransportName): Counters {
  const t = stats.transports[transport];
  return {
    requests: t.requests,
    emptyResponses: t.emptyResponses,
    messages: t.messages,
    payloadBytes: t.payloadBytes,
    bytesIn: t.bytesIn,
    bytesOut: t.bytesOut,
  };
}

export function addCounters(a: Counters, b: Counters, sign = 1): Counters {
  const out = zeroCounters();
  for (const key of Object.keys(out) as (keyof Counters)[]) out[key] = a[key] + sign * b[key];
  return out;
}
