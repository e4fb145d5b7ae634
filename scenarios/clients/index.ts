/**
 * The scenario clients, one file per transport, keyed by TransportName: a transport missing here
 * is a compile error (and test/transport-files.test.ts names the file it lacks).
 */
import type { TransportName } from '../../contract/index.js';
import type { ScenarioClientKind } from './kind.js';
import { longPoll } from './long-poll.js';
import { shortPoll } from './short-poll.js';
import { socketIo } from './socket-io.js';
import { sse } from './sse.js';
import { websocket } from './websocket.js';

export const SCENARIO_CLIENTS: Record<TransportName, ScenarioClientKind> = {
  'short-poll': shortPoll,
  'long-poll': longPoll,
  sse,
  websocket,
  'socket.io': socketIo,
};

export type { FetchChoice, RequestCounts, ScenarioClientKind } from './kind.js';
