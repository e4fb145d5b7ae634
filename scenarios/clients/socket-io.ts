/** Socket.IO clients in a scenario: socket.io-client on Engine.IO's Node transports, every request counted. */
import { NodeWebSocket as EngineNodeWebSocket, NodeXHR as EngineNodeXhr } from 'engine.io-client';
import { io } from 'socket.io-client';
import type { SocketIoConnectLike, SocketIoSocketLike } from '../../client/transports/index.js';
import type { RequestCounts, ScenarioClientKind } from './kind.js';

/**
 * socket.io-client with Engine.IO's own Node transports, subclassed to count each HTTP request:
 * every long-polling GET and POST (the handshake's included), and each WebSocket upgrade.
 */
function countingSocketIo(counts: RequestCounts): SocketIoConnectLike {
  class CountingXhr extends EngineNodeXhr {
    override request(opts?: Record<string, unknown>) {
      counts.requests += 1;
      return super.request(opts);
    }
  }
  class CountingWebSocket extends EngineNodeWebSocket {
    override createSocket(uri: string, protocols: string | string[] | undefined, opts: Record<string, unknown>) {
      counts.requests += 1;
      return super.createSocket(uri, protocols, opts);
    }
  }
  const byName = { polling: CountingXhr, websocket: CountingWebSocket };
  return (url, options) =>
    io(url, {
      ...options,
      transports: options.transports.map((name) => byName[name]),
    }) as unknown as SocketIoSocketLike;
}

export const socketIo: ScenarioClientKind = {
  ownSettings: { socketIoTransports: 'only socket.io clients have Engine.IO transports' },
  options: (spec, counts) => ({ io: countingSocketIo(counts), socketIoTransports: spec.socketIoTransports }),
};
