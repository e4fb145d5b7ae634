/**
 * Fuzzing the WebSocket frame path with fast-check, over real TCP sockets: random and mutated
 * frame sequences (fragments, control frames inside messages, bad UTF-8 split across fragments,
 * bad close codes and reasons, over-long pings, reserved opcodes and RSV bits, unmasked frames,
 * flipped bytes). Each sample sends BATCH sequences on BATCH connections at once.
 *
 * Holds for every sample: the server closes, if it does, only with a documented code (or echoes
 * the peer's own valid close code); it stays up; a bystander client keeps receiving the feed
 * gap-free; every fuzzed connection is released. Seed printed; FUZZ_SEED replays, FUZZ_RUNS sets
 * the count (CI: 20 samples × 10 = 200 sequences; `npm run fuzz`: 1 000 × 10 = 10 000).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, seqs, startLab, until, WsProbe } from '../harness.js';
import { closePayload, encodeFrame, type FrameSpec, RawWs } from '../ws-raw.js';
import { writeFuzzReport } from './report.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const BATCH = 10;
/** What the server itself closes with (contract CLOSE_CODES and ws's protocol errors). */
const SERVER_CODES = new Set([1002, 1007, 1008, 1009, 1012, 4001, 4400, 4429]);

let lab: Running;
let bystander: WsProbe;
beforeAll(async () => {
  lab = await startLab({ rate: 50, running: true, wsFragmentTimeoutMs: 200, wsFramesPerSecond: 1_000 });
  bystander = await WsProbe.open(lab.url, '?client=bystander');
});
afterAll(async () => {
  bystander?.ws.close();
  await lab?.close();
});

const validCloseCode = fc.constantFrom(1000, 1001, 1003, 1008, 1011, 3000, 4000, 4999);
const anyCloseCode = fc.oneof(validCloseCode, fc.integer({ min: 0, max: 0xffff }));
const badUtf8 = fc.constantFrom([0xc3, 0x28], [0xe2, 0x82], [0xff], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]);

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 160 }),
  fc.constant(new TextEncoder().encode('{"type":"echo","n":1}')),
  fc.string({ maxLength: 60 }).map((s) => new TextEncoder().encode(s)),
  badUtf8.map((b) => Uint8Array.from(b)),
);

const frame: fc.Arbitrary<FrameSpec> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      opcode: fc.constantFrom(0, 1, 2),
      fin: fc.boolean(),
      payload: payload.map((p) => Buffer.from(p)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      opcode: fc.constantFrom(9, 10),
      payload: fc.uint8Array({ maxLength: 130 }).map((p) => Buffer.from(p)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      opcode: fc.constant(8),
      payload: fc.oneof(
        fc.tuple(anyCloseCode, fc.string({ maxLength: 40 })).map(([c, r]) => closePayload(c, r)),
        fc.tuple(validCloseCode, badUtf8).map(([c, b]) => Buffer.concat([closePayload(c), Buffer.from(b)])),
        fc.uint8Array({ maxLength: 2 }).map((p) => Buffer.from(p)),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      opcode: fc.integer({ min: 0, max: 15 }),
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
      mask: fc.boolean(),
      payload: fc.uint8Array({ maxLength: 40 }).map((p) => Buffer.from(p)),
    }),
  },
);

/** A sequence: frames, maybe with one byte of the encoding flipped (a mutated frame). */
const sequence = fc.record({
  frames: fc.array(frame, { minLength: 1, maxLength: 12 }),
  flip: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { nil: null }),
});

const echoable = (code: number): boolean =>
  (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

function bytesOf(s: { frames: FrameSpec[]; flip: [number, number] | null }): { bytes: Buffer; peerClosed: boolean } {
  const bytes = Buffer.concat(s.frames.map((f) => encodeFrame(f)));
  if (s.flip && bytes.length > 0) {
    const at = s.flip[0] % bytes.length;
    bytes[at] = (bytes[at] as number) ^ s.flip[1];
  }
  // A close frame the peer sent (maybe mutated into another code) is echoed with its code when
  // that code is valid (RFC 6455 §7.4); any valid code may come back from such a sequence.
  const peerClosed = s.frames.some((f) => f.opcode === 8) || s.flip !== null;
  return { bytes, peerClosed };
}

describe('fuzz: WebSocket frames', () => {
  it(
    `${RUNS} samples × ${BATCH} sequences: documented close codes only, nothing crashes, the bystander unaffected (seed ${SEED})`,
    async () => {
      console.log(`ws frame fuzz: seed ${SEED}, ${RUNS} runs × ${BATCH} (replay: FUZZ_SEED=${SEED})`);
      const startedAt = performance.now();
      const seen = new Map<number | string, number>();
      await fc.assert(
        fc.asyncProperty(fc.array(sequence, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const peers = await Promise.all(batch.map(() => RawWs.open(lab.port)));
          const sent = batch.map(bytesOf);
          for (const [i, peer] of peers.entries()) peer.send(sent[i]?.bytes as Buffer);
          // Give each connection its answer: a close, or quiet for a moment.
          await Promise.all(peers.map((peer) => peer.closed(400).catch(() => null)));
          for (const [i, peer] of peers.entries()) {
            const code = peer.closeCode;
            seen.set(
              code ?? (peer.ended ? 'dropped' : 'open'),
              (seen.get(code ?? (peer.ended ? 'dropped' : 'open')) ?? 0) + 1,
            );
            if (code !== null && code !== 1005) {
              expect(
                SERVER_CODES.has(code) || (sent[i]?.peerClosed === true && echoable(code)),
                `close code ${code}`,
              ).toBe(true);
            }
            peer.destroy();
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      console.log(`ws frame fuzz answers: ${JSON.stringify(Object.fromEntries(seen))}`);
      // Still up, nothing held: every fuzzed connection released, the bystander alone remains.
      expect((await fetch(`${lab.url}/api/feed`)).status).toBe(200);
      await until(() => lab.app.lab.accounting.openStreams === 1, 10_000, 'fuzzed connections to be released');
      const got = seqs(bystander.messages());
      expect(got.length).toBeGreaterThan(5);
      expect(got).toEqual(got.map((_, i) => (got[0] as number) + i));
      expect(bystander.closeCode).toBeNull();
      writeFuzzReport({
        name: 'ws-frames',
        seed: SEED,
        samples: RUNS,
        perSample: BATCH,
        inputs: RUNS * BATCH,
        answers: Object.fromEntries([...seen].map(([k, n]) => [String(k), n])),
        bystander: { messages: got.length, gapFree: true },
        durationMs: performance.now() - startedAt,
      });
      // The full run (`npm run fuzz`, 1 000 samples) lasts minutes: the time allowed grows with the count.
    },
    Math.max(120_000, RUNS * 1_500),
  );
});
