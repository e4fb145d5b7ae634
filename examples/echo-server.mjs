// The notes' echo server, with `ws`: every text a client sends comes back in upper case, with
// "!!!" (the notes' nodejs-websocket server did `sendText(data.toUpperCase() + "!!!")`).
//
//   npm run example:echo            (PORT=5208 by default, as in the notes)
//   then, in a browser console:     const ws = new WebSocket('ws://127.0.0.1:5208')
//                                   ws.onmessage = (e) => console.log(e.data); ws.send('hello')
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 5208);
const host = process.env.HOST ?? '127.0.0.1';

// maxPayload: a frame over 64 KiB is closed 1009 instead of being held in memory.
const server = new WebSocketServer({ port, host, maxPayload: 64 * 1024 });

server.on('connection', (socket, request) => {
  console.log(`New connection from ${request.socket.remoteAddress}`);
  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.send('send text, please!!!');
    const text = data.toString();
    console.log(`Received ${text}`);
    socket.send(`${text.toUpperCase()}!!!`);
  });
  socket.on('close', (code) => console.log(`Connection closed (${code})`));
  // Without an 'error' listener, one client's broken connection would crash the server.
  socket.on('error', (error) => console.log(`Connection error: ${error.message}`));
});

server.on('listening', () => {
  const address = server.address();
  console.log(`echo server listening on ws://${host}:${address.port}`);
});

// Ctrl-C: close every connection with 1001 "going away", then exit.
process.on('SIGINT', () => {
  for (const client of server.clients) client.close(1001, 'server going away');
  server.close(() => process.exit(0));
});
process.on('SIGTERM', () => process.emit('SIGINT'));
