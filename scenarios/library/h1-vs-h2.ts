/**
 * h1-vs-h2: short poll, long poll and SSE over HTTP/1.1, h2c and h2+TLS (docs/http2.md). One
 * client per transport and protocol, one fresh connection each, against a lab in its own
 * process: bytes per message (HPACK: the first request vs the hundredth), requests per
 * connection, event age, the server's CPU per message apart from the client's, then h2load
 * against the lab and a bare node:http2 server. The run itself is scenarios/h1-vs-h2/compare.ts.
 */
import { defineScenario } from '../define.js';
import type { ProtocolRun, Summary } from '../summary.js';
import { fmt } from './expect.js';

function run(s: Summary, transport: ProtocolRun['transport'], protocol: ProtocolRun['protocol']): ProtocolRun {
  const found = s.protocols?.runs.find((r) => r.transport === transport && r.protocol === protocol);
  if (!found) throw new Error(`no ${transport} run over ${protocol}`);
  return found;
}

export default defineScenario({
  name: 'h1-vs-h2',
  description:
    'Short poll, long poll and SSE over HTTP/1.1, h2c and h2+TLS: bytes per message and HPACK (1st vs 100th request), requests per connection, age, server vs client CPU per message; h2load vs bare node:http2.',
  feed: { rate: 1, payloadBytes: 128 },
  clients: { 'short-poll': { count: 1 }, 'long-poll': { count: 1 }, sse: { count: 1 } },
  warmupMs: 0,
  durationMs: 1_000,
  protocols: { messages: 100, cpuMessages: 500, capacityRequests: 4_000 },
  expectations: [
    {
      text: 'every run delivered every message, once (the server counted them)',
      check: (s) => {
        const runs = s.protocols?.runs ?? [];
        const n = s.protocols?.messagesPerRun ?? 0;
        const short = runs.filter((r) => r.messages !== n);
        return {
          pass: runs.length === 9 && short.length === 0,
          detail: `${runs.length - short.length}/${runs.length} runs counted ${n}`,
        };
      },
    },
    {
      text: 'HPACK: over h2 the hundredth poll’s headers are under half the first’s; over HTTP/1.1 they do not shrink',
      check: (s) => {
        const h1 = run(s, 'short-poll', 'http/1.1');
        const h2c = run(s, 'short-poll', 'h2c');
        const h2 = run(s, 'short-poll', 'h2');
        return {
          pass:
            h2c.headersLast < h2c.headersFirst / 2 &&
            h2.headersLast < h2.headersFirst / 2 &&
            h1.headersLast >= h1.headersFirst * 0.95,
          detail: `HTTP/1.1 ${h1.headersFirst} → ${h1.headersLast} B, h2c ${h2c.headersFirst} → ${h2c.headersLast} B, h2 ${h2.headersFirst} → ${h2.headersLast} B`,
        };
      },
    },
    {
      text: 'a short-polled message costs fewer wire bytes over h2c than over HTTP/1.1',
      check: (s) => {
        const h1 = run(s, 'short-poll', 'http/1.1').wirePerMessage;
        const h2c = run(s, 'short-poll', 'h2c').wirePerMessage;
        return { pass: h2c < h1, detail: `${fmt(h2c)} vs ${fmt(h1)} B/message` };
      },
    },
    {
      text: 'over h2 every poll of a run is a stream on one connection',
      check: (s) => {
        const runs = (s.protocols?.runs ?? []).filter((r) => r.protocol !== 'http/1.1');
        return {
          pass: runs.length === 6 && runs.every((r) => r.connections === 1),
          detail: runs.map((r) => `${r.protocol} ${r.transport} ${r.requestsPerConnection}`).join(', '),
        };
      },
    },
    {
      text: 'h2load: every request to the lab answered 2xx',
      check: (s) => {
        const cap = s.protocols?.capacity ?? [];
        return {
          pass: cap.length > 0 && cap.every((c) => c.succeeded === c.requests),
          detail: cap.map((c) => `${c.target} ${c.succeeded}/${c.requests}`).join(', '),
        };
      },
    },
  ],
});
