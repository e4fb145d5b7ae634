/**
 * Test harness: a real lab server on 127.0.0.1, port 0, and small helpers that wait on events
 * (never on sleeps) for the real clients the tests use: fetch, ws, eventsource.
 */
import { once } from 'node:events';
import { EventSource } from 'eventsource';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { ControlClient } from '../client/control.js';
import type { FeedMessage } from '../contract/index.js';
import { buildApp } from '../server/app.js';
import type { LabOptions } from '../server/config.js';

export interface Running {
  app: FastifyInstance;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startLab(options: Partial<LabOptions> = {}): Promise<Running> {
  const app = await buildApp(options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { app, port: address.port, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

export function publish(url: string, data: unknown): Promise<{ epoch: string; seq: number }> {
  return new ControlClient(url).publish(data);
}

export async function publishMany(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await publish(url, { i });
}

/** Resolves when `predicate` holds, checking after every event of `emitter` (or at most every 10 ms). */
export async function until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A WebSocket that records every frame it receives, parsed. */
export class WsProbe {
  readonly frames: Record<string, unknown>[] = [];
  closeCode: number | null = null;
  closeReason = '';
  constructor(readonly ws: WebSocket) {
    // Attach before the connection opens: frames that arrive first would be lost otherwise.
    ws.on('message', (raw) => this.frames.push(JSON.parse(raw.toString())));
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    ws.on('error', () => {});
  }
  static async open(url: string, query = '', options: WebSocket.ClientOptions = {}): Promise<WsProbe> {
    const probe = new WsProbe(new WebSocket(`${url.replace('http', 'ws')}/api/ws${query}`, options));
    await once(probe.ws, 'open');
    return probe;
  }
  messages(): FeedMessage[] {
    return this.frames.filter((f) => !('type' in f)) as unknown as FeedMessage[];
  }
  controls(type: string): Record<string, unknown>[] {
    return this.frames.filter((f) => f.type === type);
  }
  async closed(): Promise<number> {
    if (this.closeCode === null) await once(this.ws, 'close');
    return this.closeCode as number;
  }
}

/** An EventSource that records messages and resets. */
export class SseProbe {
  readonly messages: FeedMessage[] = [];
  readonly resets: Record<string, unknown>[] = [];
  readonly lastEventIds: string[] = [];
  readonly es: EventSource;
  constructor(url: string, query = '', init?: ConstructorParameters<typeof EventSource>[1]) {
    this.es = new EventSource(`${url}/api/sse${query}`, init);
    this.es.onmessage = (event) => {
      this.messages.push(JSON.parse(event.data));
      this.lastEventIds.push(event.lastEventId);
    };
    this.es.addEventListener('reset', (event) => this.resets.push(JSON.parse(event.data)));
  }
  close(): void {
    this.es.close();
  }
}

/** A plain WebSocket of client `client` to the lab at `url`, open (no compression offered). */
export async function openWs(url: string, client: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/ws?client=${client}`, { perMessageDeflate: false });
  ws.on('error', () => {});
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

export const seqs = (messages: readonly { seq: number }[]): number[] => messages.map((m) => m.seq);
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
