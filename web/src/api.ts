/**
 * The dashboard's own calls to the lab server (not the lanes' traffic: those go through the
 * client library). All same-origin; errors carry the server's message so the page can show it.
 */
import type { CutAnswer, FeedSettings, FeedState, Handshake, TransportName } from '../../contract/index.js';

export type { CutAnswer, Handshake } from '../../contract/index.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Classroom mode: the token this page acts with (a student's or the instructor's), sent on every call. */
let bearer: string | null = null;
export function actWithToken(token: string | null): void {
  bearer = token;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  const init: RequestInit = { method, cache: 'no-store', headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
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
      `${method} ${path}: ${response.status} ${typeof message === 'string' ? message : text.slice(0, 120)}`,
      response.status,
    );
  }
  return parsed as T;
}

export const api = {
  feed: () => call<FeedState>('GET', '/api/feed'),
  setFeed: (settings: FeedSettings) => call<FeedState>('PUT', '/api/feed', settings),
  publish: (data: unknown) => call<{ epoch: string; seq: number }>('POST', '/api/publish', { data }),
  /** Destroys, abruptly, the TCP sockets the server is serving for this client id (the lab's CUT). */
  cut: (client: string, transport: TransportName) =>
    call<CutAnswer>('POST', `/api/clients/${encodeURIComponent(client)}/cut?transport=${transport}`),
  handshake: (client: string) => call<Handshake>('GET', `/api/handshake?client=${encodeURIComponent(client)}`),
};
