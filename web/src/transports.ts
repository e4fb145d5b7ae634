/**
 * What the dashboard says about each transport: colour (the same as the scenario reports'),
 * name, route and a one-line "what to look at" for students.
 */
import { ROUTES, TRANSPORT_COLORS, type TransportName, withAlpha } from '../../contract/index.js';

export { TRANSPORT_COLORS, withAlpha };

export const TRANSPORT_LABELS: Record<TransportName, string> = {
  'short-poll': 'Short polling',
  'long-poll': 'Long polling',
  sse: 'Server-Sent Events',
  websocket: 'WebSocket',
};

export const TRANSPORT_SHORT: Record<TransportName, string> = {
  'short-poll': 'short poll',
  'long-poll': 'long poll',
  sse: 'SSE',
  websocket: 'WebSocket',
};

export const TRANSPORT_ROUTE: Record<TransportName, string> = {
  'short-poll': `fetch GET ${ROUTES['short-poll']}`,
  'long-poll': `fetch GET ${ROUTES['long-poll']}`,
  sse: `EventSource ${ROUTES.sse}`,
  websocket: `WebSocket ${ROUTES.websocket}`,
};

export const TRANSPORT_HELP: Record<TransportName, string> = {
  'short-poll':
    'Asks “anything new?” on a timer. Watch the age spread from 0 up to the interval, and the empty answers pile up when the feed is slow.',
  'long-poll':
    'The server holds each request until there is a message (or the timeout); the client asks again at once. Push-like ages, a whole HTTP exchange per answer.',
  sse: 'One HTTP response that never ends; each message is an event on it. EventSource reconnects by itself and sends Last-Event-ID.',
  websocket:
    'One upgraded TCP connection, frames both ways: a 2-byte header up to 125 B of payload, 4 up to 64 KiB. The only lane that can also send.',
};
