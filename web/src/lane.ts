/**
 * One lane: one real browser client of its own transport (client/transports), with what the
 * dashboard measures about it — delivery audit from seq, event ages (HDR histogram), the server's
 * per-client wire counters — and the student's actions: connect, disconnect, CUT, resume on/off.
 *
 * The switches (resume, poll interval, long-poll timeout) change a running client through
 * `configure()`, without reconnecting it, and are kept here for the next client too.
 */
import { DeliveryAudit } from '../../client/audit.js';
import { Emitter } from '../../client/emitter.js';
import { LatencyHistogram } from '../../client/latency.js';
import {
  type ClientClasses,
  type ClientState,
  type Cursor,
  createClient,
  type FeedClientError,
  type FeedClientOptions,
  type LiveSettings,
  type WireEntry,
} from '../../client/transports/index.js';
import {
  type FeedMessage,
  isPolling,
  type ResetNotice,
  type TransportCounters,
  type TransportName,
} from '../../contract/index.js';
import { api, type CutAnswer } from './api.js';
import { since } from './cost.js';
import { DIRECT, type LaneNetwork, laneNetwork } from './network.js';
import { WireLog } from './wire-log.js';

/** `off`: disconnected by the student (or not started yet). */
export type LaneState = ClientState | 'off';

export interface ChatLine {
  from: string;
  text: string;
}

/** One received message, kept for the charts: when it arrived and how old it was. */
export interface AgePoint {
  at: number;
  age: number;
}

export interface LaneEvents {
  state: [state: LaneState];
  /** A chat message (data.kind === 'chat') arrived on this lane. */
  chat: [line: ChatLine, message: FeedMessage, ageMs: number];
  /** Something worth a line in the lane: an error, a reset, a cut. */
  note: [text: string, tone: 'info' | 'warn' | 'bad'];
  /** The lane now goes through another network. */
  network: [network: LaneNetwork];
}

/** Ages kept for the charts: the last minute, at most this many points. */
export const SERIES_WINDOW_MS = 60_000;
const SERIES_MAX_POINTS = 1_500;

export function isChat(data: unknown): data is { kind: 'chat'; from: string; text: string } {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Record<string, unknown>;
  return d.kind === 'chat' && typeof d.text === 'string' && typeof d.from === 'string';
}

export class Lane<T extends TransportName = TransportName> extends Emitter<LaneEvents> {
  readonly wire = new WireLog();
  /** What the next client is built with; the running one is kept in step by `configure()`. */
  readonly options: FeedClientOptions;
  client: ClientClasses[T] | null = null;

  audit = new DeliveryAudit();
  readonly latency = new LatencyHistogram();
  /** Message events received (duplicates included). */
  received = 0;
  reconnects = 0;
  /** How many times the numbers were started over: a reader of the page waits on it, not on a count falling. */
  numberResets = 0;
  lastMessage: FeedMessage | null = null;
  /** Behind a balancer: the instance that served the last request or stream, and how often each one did. */
  servedBy: string | null = null;
  readonly servedCounts = new Map<string, number>();
  series: AgePoint[] = [];

  /** The server's counters for this lane's client id (live, from the stats stream). */
  private serverCounters: TransportCounters | null = null;
  private baseline: TransportCounters | null = null;
  /** Where a stopped client was, to come back from it when resume is on. */
  private lastCursor: Cursor | null = null;
  private openedOnce = false;
  /** The network this lane's client goes through (server/networks.ts); direct at first. */
  network: LaneNetwork = { name: DIRECT, profile: null, baseUrl: '' };

  constructor(
    readonly transport: T,
    options: FeedClientOptions,
  ) {
    super();
    this.options = options;
  }

  get clientId(): string {
    return this.options.clientId;
  }

  get state(): LaneState {
    return this.client === null || this.client.state === 'closed' ? 'off' : this.client.state;
  }

  get connected(): boolean {
    return this.state !== 'off';
  }

  get resume(): boolean {
    return this.options.resume;
  }

  set resume(value: boolean) {
    this.configure({ resume: value });
  }

  configure(settings: LiveSettings): void {
    Object.assign(this.options, settings);
    this.client?.configure(settings);
  }

  /** Connect: a new client, from the last cursor when resume is on, live-only otherwise. */
  connect(): void {
    if (this.connected) return;
    const cursor = this.resume ? this.lastCursor : null;
    if (cursor === null) delete this.options.cursor;
    else this.options.cursor = cursor;
    const client = createClient(this.transport, this.options);
    this.client = client;
    this.openedOnce = false;
    client.on('message', (message, _raw, receivedAt) => this.onMessage(message, receivedAt));
    client.on('reset', (notice) => this.onReset(notice));
    client.on('state', (state) => this.onState(state));
    client.on('error', (error) => this.onError(error));
    client.on('wire', (entry) => this.wire.push(entry));
    client.on('served', (instance) => {
      this.servedBy = instance;
      this.servedCounts.set(instance, (this.servedCounts.get(instance) ?? 0) + 1);
    });
    client.start();
    this.emit('state', this.state);
  }

  /**
   * Route this lane through a network profile: a shaping listener in front of the server. A
   * connected client is closed and a new one opened through it (from its cursor when resume is
   * on). The server still counts this lane's bytes at its own socket, under the same client id.
   */
  async useNetwork(name: string): Promise<LaneNetwork> {
    const network = await laneNetwork(name);
    const wasConnected = this.connected;
    if (wasConnected) this.disconnect();
    this.network = network;
    this.options.baseUrl = network.baseUrl;
    if (wasConnected) this.connect();
    this.emit('network', network);
    return network;
  }

  /** Disconnect gracefully (close, no reconnect). */
  disconnect(): void {
    const client = this.client;
    if (client === null || client.state === 'closed') return;
    this.lastCursor = client.cursor;
    client.stop();
    this.emit('state', 'off');
  }

  /**
   * CUT: the server destroys, abruptly, every TCP socket it serves for this lane; a stream (SSE,
   * WebSocket) sees a network error and its client reconnects by itself. A poll holds no stream:
   * between two short polls there is nothing to drop, and a browser quietly retries a GET whose
   * reused keep-alive connection died before answering. So a polling client is also told to
   * start over, as after a failed request — with its cursor if resume is on, live-only if not.
   */
  async cut(): Promise<CutAnswer> {
    const path = `/api/clients/${this.clientId}/cut?transport=${this.transport}`;
    const answer = await api.cut(this.clientId, this.transport);
    this.log({
      direction: 'up',
      kind: 'control',
      summary: `POST ${path} → ${answer.socketsCut} socket(s) destroyed`,
      bytes: 0,
    });
    const polls = isPolling(this.transport);
    if (polls) this.client?.cut();
    const then = this.resume ? 'comes back from its cursor' : 'comes back live-only';
    this.emit(
      'note',
      polls
        ? `CUT: server dropped ${answer.socketsCut} socket(s); the client starts over and ${then}`
        : `CUT: server dropped ${answer.socketsCut} socket(s); the client ${then}`,
      'warn',
    );
    return answer;
  }

  /** The server's counters for this lane since the last reset of the numbers. */
  counters(): TransportCounters | null {
    return this.serverCounters === null ? null : since(this.serverCounters, this.baseline);
  }

  updateServerCounters(counters: TransportCounters): void {
    this.serverCounters = counters;
  }

  /** Start the numbers over (the audit, ages, charts, and the server's counters via a baseline). */
  resetNumbers(): void {
    this.audit = new DeliveryAudit();
    this.latency.reset();
    this.received = 0;
    this.reconnects = 0;
    this.numberResets++;
    this.series = [];
    this.baseline = this.serverCounters === null ? null : { ...this.serverCounters };
  }

  /** Drop chart points older than the window. */
  trimSeries(now: number): void {
    const cutoff = now - SERIES_WINDOW_MS;
    let drop = 0;
    while (drop < this.series.length && (this.series[drop] as AgePoint).at < cutoff) drop++;
    if (drop > 0) this.series.splice(0, drop);
  }

  private onMessage(message: FeedMessage, receivedAt: number): void {
    this.received++;
    this.lastMessage = message;
    this.audit.record(message);
    const age = receivedAt - message.ts;
    this.latency.record(age);
    this.series.push({ at: receivedAt, age });
    if (this.series.length > SERIES_MAX_POINTS) this.series.splice(0, this.series.length - SERIES_MAX_POINTS);
    if (isChat(message.data)) this.emit('chat', { from: message.data.from, text: message.data.text }, message, age);
  }

  private onReset(notice: ResetNotice): void {
    this.audit.reset(notice);
    const missed = notice.missed === undefined ? '' : `, ${notice.missed} missed`;
    this.emit(
      'note',
      `reset (${notice.reason}${missed}): the feed continues from ${notice.epoch}:${notice.from}`,
      'bad',
    );
  }

  private onState(state: ClientState): void {
    if (state === 'open') this.openedOnce = true;
    else if (state === 'connecting' && this.openedOnce) this.reconnects++;
    this.emit('state', this.state);
  }

  private onError(error: FeedClientError): void {
    this.emit('note', error.message, 'bad');
  }

  private log(entry: Omit<WireEntry, 'at'>): void {
    this.wire.push({ at: this.options.now?.() ?? Date.now(), ...entry });
  }
}
