/**
 * Loaded into every server the bench reads memory of (`node --expose-gc --import this`): on SIGUSR2
 * it runs a full garbage collection and prints
 * `bench-gc <n> heap <used bytes> physical <bytes> rss <bytes>`: V8's heap in use after it, the
 * resident pages V8's heap holds (used or free), and the process's RSS, read in the same turn.
 * Without the collection, one that happens to run between two readings makes "memory per idle
 * connection" negative; memory.ts says what the bench does with the three figures.
 */
import { getHeapStatistics } from 'node:v8';

const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== 'function') throw new Error('scenarios/bench/gc-on-signal.ts needs node --expose-gc');
let collections = 0;
process.on('SIGUSR2', () => {
  // Twice: objects freed by the first (weak references, finalizers) are collected by the second.
  gc();
  gc();
  collections += 1;
  const heap = getHeapStatistics();
  process.stdout.write(
    `bench-gc ${collections} heap ${heap.used_heap_size} physical ${heap.total_physical_size} rss ${process.memoryUsage.rss()}\n`,
  );
});
