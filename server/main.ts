/**
 * The lab's entry (`npm start`, `npm run dev`, and every test, scenario and benchmark that starts a
 * lab): it runs Node's `process.nextTick` hot, then loads and starts the lab (server/start.ts).
 *
 * Why: measured, not explained. Started without this, a lab process sometimes lands in a slow state.
 * There nextTick costs ~300 ns a call instead of ~23: about one lab in four in
 * scenarios/bench/next-tick-modes.ts, never a bare node:http or Fastify process. A short poll costs
 * 11–18 µs more JS time there: 4 of 12 fresh labs in `npm run bench:poll-machinery`, booted while
 * other servers booted. Warmed first, none of 30 probe processes and none of 17 benchmark labs did.
 * A lab that boots on a quiet machine gains little from it: 16.8 against 17.2 µs a poll, median of
 * 5 runs each. It costs ~20 ms at start.
 */
import { warmNextTick } from './warm-next-tick.js';

await warmNextTick();
// Loaded only now: nothing of the lab may load before nextTick is warm.
await import('./start.js');
