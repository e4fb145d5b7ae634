/** The registry: everything that needs "all transports" iterates this, in contract order. */
import type { TransportName } from '../../contract/index.js';
import longPoll from './long-poll.js';
import shortPoll from './short-poll.js';
import socketIo from './socket-io.js';
import sse from './sse.js';
import type { Transport } from './transport.js';
import websocket from './websocket.js';

export const transports: Record<TransportName, Transport> = {
  'short-poll': shortPoll,
  'long-poll': longPoll,
  sse,
  websocket,
  'socket.io': socketIo,
};
