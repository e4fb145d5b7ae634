/**
 * The lab's entry (`npm start`, `npm run dev`, and every test, scenario and benchmark that starts a
 * lab): it runs Node's `process.nextTick` hot, then loads and starts the lab (server/start.ts).
 *
 * Why: measured, not explained. Once the lab's modules have loaded and its app has booted, V8
 * optimizes nextTick in a worse state than in a bare process. In about one lab process in four, each
 * tick then costs ~300 ns instead of ~23 (scenarios/bench/next-tick-modes.ts), and a short poll makes
 * about seven ticks. When nextTick has run hot before anything of the lab loads, that mode never
 * showed (0 of 30 processes). The lab's JS time per short poll (`npm run bench:poll-machinery`) was
 * then 16–17 µs in 6 of 6 fresh processes, against 20–33 µs without the warm-up. It costs
 * ~20 ms at start.
 */
const noop = () => {};
for (let round = 0; round < 50; round++) {
  for (let i = 0; i < 10_000; i++) process.nextTick(noop);
  await new Promise((resolve) => setImmediate(resolve));
}
await import('./start.js');
