/** WebSocket clients in a scenario: `ws`, each upgrade counted; the group's subprotocol and permessage-deflate. */
import { WebSocket as NodeWebSocket } from 'ws';
import type { WebSocketConstructorLike } from '../../client/transports/index.js';
import type { RequestCounts, ScenarioClientKind } from './kind.js';

function countingWebSocket(counts: RequestCounts): WebSocketConstructorLike {
  return class CountingWebSocket extends NodeWebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      counts.requests += 1;
    }
  } as unknown as WebSocketConstructorLike;
}

export const websocket: ScenarioClientKind = {
  ownSettings: { subprotocol: 'websocket clients only', compress: 'websocket clients only' },
  options: (spec, counts) => ({
    WebSocket: countingWebSocket(counts),
    subprotocols: spec.subprotocol === null ? [] : [spec.subprotocol],
    compress: spec.compress,
  }),
};
