/**
 * What a scenario's client group needs to know about its transport, in one file per transport
 * (scenarios/clients/<transport>.ts): the client library's options for it, from the group's spec,
 * with the injection (fetch, EventSource, WebSocket, io) that counts the group's own HTTP requests
 * independently of the server's accounting. The group itself (group.ts) never names a transport.
 */
import type { FeedClientOptions } from '../../client/transports/index.js';
import type { GroupSpec } from '../define.js';
import type { ClientGroupDef } from '../definition-schema.js';

export interface RequestCounts {
  /** HTTP requests: polls, SSE requests (EventSource reconnects included), WebSocket upgrades, Engine.IO's polls and upgrade. */
  requests: number;
  /** Poll answers with no message. */
  emptyResponses: number;
}

/** Which fetch the poll clients use: node:http with undici's exact headers (default), or globalThis.fetch. */
export type FetchChoice = 'node-http' | 'global';

/** The transport's part of a client's options (base URL, resume and reconnect are the group's). */
export type TransportOptions = Omit<FeedClientOptions, 'clientId' | 'baseUrl' | 'resume'>;

export interface ScenarioClientKind {
  /**
   * The group settings of a definition that only this transport has, each with what a group of
   * another transport that gives it is told (scenarios/define.ts checks them in registry order).
   */
  ownSettings: Partial<Record<keyof ClientGroupDef, string>>;
  /** Options for this group's clients of this transport; every HTTP request they make adds to `counts`. */
  options(spec: GroupSpec, counts: RequestCounts, fetchChoice: FetchChoice): TransportOptions;
}
