// Point clients at YOUR server and count what they carry, at the client's own TCP socket (your
// server has no /api/stats; these numbers are the client side's). Each client connects, sends
// `--messages` text frames one at a time and waits for a frame back after each (an echo server
// answers each; a broadcast server relays each to everyone), then closes.
//
//   npm run example:client -- ws://127.0.0.1:5208 [--clients 5] [--messages 20] [--text hello]
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: 'string', default: '5' },
    messages: { type: 'string', default: '20' },
    text: { type: 'string', default: 'hello' },
    json: { type: 'boolean', default: false },
  },
});
const url = positionals[0];
if (!url?.startsWith('ws')) {
  console.error('usage: npm run example:client -- ws://host:port [--clients N] [--messages M] [--text T] [--json]');
  process.exit(2);
}

/** One client: its socket's byte counts (handshake and frame headers included), frames, round trips. */
async function runClient(i) {
  const ws = new WebSocket(url);
  const rtts = [];
  let framesIn = 0;
  let last = '';
  let waiting = null;
  ws.on('message', (data) => {
    framesIn += 1;
    last = data.toString();
    waiting?.();
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const socket = ws._socket; // ws's net.Socket: bytes as the kernel took and gave them
  for (let n = 0; n < Number(values.messages); n++) {
    const sent = performance.now();
    const answered = new Promise((resolve) => {
      waiting = resolve;
    });
    ws.send(`${values.text} ${i}.${n}`);
    await answered;
    rtts.push(performance.now() - sent);
  }
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.close(1000);
  await closed;
  return { framesIn, bytesOut: socket.bytesWritten, bytesIn: socket.bytesRead, rtts, last };
}

const results = await Promise.all(Array.from({ length: Number(values.clients) }, (_, i) => runClient(i)));
const rtts = results.flatMap((r) => r.rtts).sort((a, b) => a - b);
const sum = (key) => results.reduce((total, r) => total + r[key], 0);
const report = {
  url,
  clients: results.length,
  messagesSent: rtts.length,
  framesReceived: sum('framesIn'),
  bytesOut: sum('bytesOut'),
  bytesIn: sum('bytesIn'),
  rttMs: { p50: rtts[Math.floor(rtts.length / 2)] ?? null, max: rtts.at(-1) ?? null },
  lastFrame: results[0]?.last ?? null,
};
if (values.json) console.log(JSON.stringify(report));
else
  console.table({
    ...report,
    rttMs: undefined,
    'rtt p50 ms': report.rttMs.p50?.toFixed(2),
    'rtt max ms': report.rttMs.max?.toFixed(2),
  });
