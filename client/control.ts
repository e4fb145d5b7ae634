/**
 * The control client: the lab's own API (feed settings, publish, stats, the cut fault, the
 * WebSocket handshake inspector), the one copy used by the dashboard (web/src/api.ts), the
 * scenario runner (scenarios/lab-under-test.ts) and the tests (test/harness.ts). Its traffic is
 * never a transport's: the server files it under `other`.
 */
import type { CutAnswer, FeedSettings, FeedState, Handshake, StatsResponse, TransportName } from '../contract/index.js';

/** A refused call: the server's status, and its message in `message`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** What a control call needs of `fetch` (the browser's, Node's, or undici's all fit). */
export type ControlFetch = (
  url: string,
  init: { method: string; cache: 'no-store'; headers?: Record<string, string>; body?: string },
) => Promise<{ status: number; ok: boolean; text(): Promise<string> }>;

export class ControlClient {
  /** `baseUrl` e.g. `http://127.0.0.1:3000`; the dashboard passes `location.origin`. */
  constructor(
    readonly url: string,
    private readonly fetchImpl: ControlFetch = (input, init) => globalThis.fetch(input, init),
  ) {}

  feed(): Promise<FeedState> {
    return this.call<FeedState>('GET', '/api/feed');
  }

  setFeed(settings: FeedSettings): Promise<FeedState> {
    return this.call<FeedState>('PUT', '/api/feed', settings);
  }

  publish(data: unknown): Promise<{ epoch: string; seq: number }> {
    return this.call('POST', '/api/publish', { data });
  }

  stats(client?: string): Promise<StatsResponse> {
    return this.call<StatsResponse>(
      'GET',
      client === undefined ? '/api/stats' : `/api/stats?client=${encodeURIComponent(client)}`,
    );
  }

  /** Destroys, abruptly, the TCP sockets the server is serving for this client id (of one transport, if named). */
  cut(client: string, transport?: TransportName): Promise<CutAnswer> {
    const only = transport === undefined ? '' : `?transport=${transport}`;
    return this.call<CutAnswer>('POST', `/api/clients/${encodeURIComponent(client)}/cut${only}`);
  }

  handshake(client: string): Promise<Handshake> {
    return this.call<Handshake>('GET', `/api/handshake?client=${encodeURIComponent(client)}`);
  }

  /** A GET whose body is text (e.g. `/metrics`); any status but 200 is an ApiError. */
  async text(path: string): Promise<string> {
    const response = await this.fetchImpl(new URL(path, this.url).href, { method: 'GET', cache: 'no-store' });
    const body = await response.text();
    if (response.status !== 200)
      throw new ApiError(`GET ${path}: ${response.status} ${body.slice(0, 200)}`, response.status);
    return body;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: Parameters<ControlFetch>[1] = { method, cache: 'no-store' };
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const response = await this.fetchImpl(new URL(path, this.url).href, init);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const message = (parsed as { message?: unknown } | undefined)?.message;
      throw new ApiError(
        `${method} ${path}: ${response.status} ${typeof message === 'string' ? message : text.slice(0, 200)}`,
        response.status,
      );
    }
    return parsed as T;
  }
}
