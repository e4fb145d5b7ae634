// The notes' broadcast server, with `ws`: whatever one client sends, every connected client
// receives (the sender too), like the notes' `server.connections.forEach(conn => conn.sendText(msg))`.
// Objects travel as JSON text: `send(JSON.stringify(msg))`.
//
//   npm run example:broadcast       (PORT=5209 by default)
//   then open two browser tabs:     const ws = new WebSocket('ws://127.0.0.1:5209')
//                                   ws.onmessage = (e) => console.log(e.data); ws.send('hi all')
import { WebSocket, WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 5209);
const host = process.env.HOST ?? '127.0.0.1';

const server = new WebSocketServer({ port, host, maxPayload: 64 * 1024 });

/** Send `message` to every open connection. `server.clients` is ws's set of connected sockets. */
function broadcast(message) {
  for (const client of server.clients) {
    // A client that stopped reading is skipped rather than buffered without bound.
    if (client.readyState === WebSocket.OPEN && client.bufferedAmount < 1024 * 1024) client.send(message);
  }
}

server.on('connection', (socket) => {
  broadcast(JSON.stringify({ type: 'joined', online: server.clients.size }));
  socket.on('message', (data, isBinary) => {
    // Relay as received: text stays text, binary stays binary.
    broadcast(isBinary ? data : data.toString());
  });
  socket.on('close', () => broadcast(JSON.stringify({ type: 'left', online: server.clients.size })));
  socket.on('error', (error) => console.log(`Connection error: ${error.message}`));
});

server.on('listening', () => {
  const address = server.address();
  console.log(`broadcast server listening on ws://${host}:${address.port}`);
});

process.on('SIGINT', () => {
  for (const client of server.clients) client.close(1001, 'server going away');
  server.close(() => process.exit(0));
});
process.on('SIGTERM', () => process.emit('SIGINT'));
