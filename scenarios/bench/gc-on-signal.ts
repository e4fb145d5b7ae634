/**
 * Loaded into every server the bench starts (`node --expose-gc --import this`): on SIGUSR2 it runs a
 * full garbage collection and prints `bench-gc <n> heap <bytes>` (V8's heap in use after it), so the
 * bench reads RSS with no garbage in it, and the JS heap beside it —
 * without that, a collection that happens to run between the two readings makes "RSS per idle
 * connection" negative.
 */
const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== 'function') throw new Error('scenarios/bench/gc-on-signal.ts needs node --expose-gc');
let collections = 0;
process.on('SIGUSR2', () => {
  // Twice: objects freed by the first (weak references, finalizers) are collected by the second.
  gc();
  gc();
  collections += 1;
  process.stdout.write(`bench-gc ${collections} heap ${process.memoryUsage().heapUsed}\n`);
});
