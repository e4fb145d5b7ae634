/**
 * Runs `process.nextTick` hot: 50 rounds of 10 000 calls, each round drained, so that V8 optimizes it
 * before anything of the lab loads. server/main.ts calls it first (why, with the figures, is in its
 * comment); scenarios/bench/next-tick-modes.ts calls it for its warmed lab.
 */
export async function warmNextTick(): Promise<void> {
  const noop = () => {};
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 10_000; i++) process.nextTick(noop);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
