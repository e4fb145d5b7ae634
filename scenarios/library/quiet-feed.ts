/**
 * quiet-feed: one update every 4 s on average. Nothing happens most of the time, and that is
 * exactly what a poll pays for: requests and bytes per delivered message, and the share of
 * empty polls beside the model's e^(−λT) (Poisson arrivals, so the model applies as stated).
 */
import { defineScenario } from '../define.js';
import { emptyShare, fmt, get, near, noLoss, publishedPerClient } from './expect.js';

const RATE = 0.25;
const T_MS = 1_000;
/** 30 messages a run on average (λ × 120 s), 600 ages per transport: run it with `--repeat 3` for the spread. */
const DURATION_MS = 120_000;

export default defineScenario({
  name: 'quiet-feed',
  description: `A quiet feed: ${RATE} msg/s (Poisson, one every ${1 / RATE} s on average), 256-byte messages, 20 clients per transport, short poll every ${T_MS / 1000} s, for ${DURATION_MS / 1000} s. What polling wastes.`,
  feed: { rate: RATE, payloadBytes: 256, arrivals: 'poisson' },
  clients: {
    'short-poll': { count: 20, pollIntervalMs: T_MS },
    'long-poll': { count: 20 },
    sse: { count: 20 },
    websocket: { count: 20 },
  },
  warmupMs: 2_000,
  durationMs: DURATION_MS,
  expectations: [
    noLoss(),
    {
      text: 'short-poll: the share of empty polls is e^(−λT) (λ as published, ± 0.08)',
      check: (s) => {
        const x = get(s, 'short-poll');
        const lambda = publishedPerClient(x) / ((s.params.durationMs as number) / 1000);
        const predicted = Math.exp(-lambda * (T_MS / 1000));
        const measured = emptyShare(x);
        return {
          pass: Math.abs(measured - predicted) <= 0.08,
          detail: `measured ${fmt(measured)}, e^(−λT) = ${fmt(predicted)} with λ = ${fmt(lambda)} msg/s (${publishedPerClient(x)} published), T = ${T_MS / 1000} s`,
        };
      },
    },
    {
      text: 'short-poll: requests per delivered message ≈ 1/(λT) (± 25 %)',
      check: (s) => {
        const x = get(s, 'short-poll');
        const lambda = publishedPerClient(x) / ((s.params.durationMs as number) / 1000);
        const predicted = 1 / (lambda * (T_MS / 1000));
        return {
          pass: near(x.requestsPerMessage, predicted, 0.25),
          detail: `measured ${fmt(x.requestsPerMessage)}, 1/(λT) = ${fmt(predicted)}`,
        };
      },
    },
    {
      text: 'long-poll: about one request per message (a held poll is answered by the message it waited for)',
      check: (s) => {
        const x = get(s, 'long-poll');
        return {
          pass: x.requestsPerMessage >= 0.9 && x.requestsPerMessage <= 1.3,
          detail: `${fmt(x.requestsPerMessage)} requests/message`,
        };
      },
    },
    {
      text: 'short-poll spends at least 5× the wire bytes per message of sse and websocket',
      check: (s) => {
        const poll = get(s, 'short-poll').bytesPerMessage;
        const stream = Math.max(get(s, 'sse').bytesPerMessage, get(s, 'websocket').bytesPerMessage);
        return {
          pass: poll >= 5 * stream,
          detail: `short-poll ${fmt(poll)} B/msg, streams ≤ ${fmt(stream)} B/msg (${fmt(poll / stream, 2)}×)`,
        };
      },
    },
    {
      text: 'sse and websocket: no request after connecting (one connection each, kept)',
      check: (s) => {
        const r = get(s, 'sse').requests + get(s, 'websocket').requests;
        return { pass: r === 0, detail: `${r} requests during the window` };
      },
    },
  ],
});
