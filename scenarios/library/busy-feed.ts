/**
 * busy-feed: 200 msg/s. Polls now batch (one short poll carries a second's worth), long polls
 * turn into a request storm (every answer is followed at once by the next poll), and the HTTP
 * capacity phase asks how many polls per second the lab serves beside bare node:http.
 */
import { defineScenario } from '../define.js';
import { countedS, fmt, get, noLoss } from './expect.js';

const RATE = 200;
const CLIENTS = 10;

export default defineScenario({
  name: 'busy-feed',
  description: `A busy feed: ${RATE} msg/s of 256-byte messages, ${CLIENTS} clients per transport, short poll every 1 s, for 20 s; then autocannon: polls/s of the lab vs bare Fastify vs bare node:http.`,
  feed: { rate: RATE, payloadBytes: 256 },
  clients: {
    'short-poll': { count: CLIENTS, pollIntervalMs: 1_000 },
    'long-poll': { count: CLIENTS },
    sse: { count: CLIENTS },
    websocket: { count: CLIENTS },
  },
  warmupMs: 2_000,
  durationMs: 20_000,
  capacity: { durationS: 3, connections: 10, rounds: 3 },
  expectations: [
    noLoss(),
    {
      text: 'short-poll batches: one answer carries about λT = 200 messages',
      check: (s) => {
        const x = get(s, 'short-poll');
        const perAnswer = x.delivered / Math.max(1, x.requests - x.emptyResponses);
        return { pass: perAnswer >= 100, detail: `${fmt(perAnswer)} messages per non-empty answer` };
      },
    },
    {
      text: 'long-poll becomes a request storm: more than 20 polls per second per client',
      check: (s) => {
        const x = get(s, 'long-poll');
        const perClientPerS = x.requests / x.clients / (countedS(x) ?? Number.NaN);
        return {
          pass: perClientPerS > 20,
          detail: `${fmt(perClientPerS)} polls/s per client, ${fmt(x.delivered / x.requests)} messages per poll`,
        };
      },
    },
    {
      text: 'the streams pay the least overhead per message: websocket < sse < long-poll',
      check: (s) => {
        const o = (t: 'long-poll' | 'sse' | 'websocket') => get(s, t).bytesPerMessage - get(s, t).payloadPerMessage;
        return {
          pass: o('websocket') < o('sse') && o('sse') < o('long-poll'),
          detail: `overhead B/msg: websocket ${fmt(o('websocket'))}, sse ${fmt(o('sse'))}, long-poll ${fmt(o('long-poll'))}`,
        };
      },
    },
    {
      text: 'a poll costs the lab at most twice the server CPU of bare Fastify serving the same body (what its accounting and cursor work add)',
      check: (s) => {
        const [lab, fastify] = s.capacity ?? [];
        const labUs = lab?.serverCpuUsPerRequest;
        const fastifyUs = fastify?.serverCpuUsPerRequest;
        if (labUs === undefined || fastifyUs === undefined) return { pass: false, detail: 'no capacity phase' };
        const errors = (lab?.errors ?? 0) + (fastify?.errors ?? 0);
        return {
          pass: labUs <= 2 * fastifyUs && errors === 0,
          detail: `server CPU per poll: lab ${fmt(labUs)} µs, bare Fastify ${fmt(fastifyUs)} µs, bare node:http ${fmt(lab?.baselineCpuUsPerRequest ?? Number.NaN)} µs (${fmt(labUs / fastifyUs, 2)}× Fastify); ${errors} errors`,
        };
      },
    },
  ],
});
