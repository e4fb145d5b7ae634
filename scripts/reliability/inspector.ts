/**
 * Looks inside another Node process without changing its code: the V8 inspector (started with
 * `--inspect=127.0.0.1:<port>`) over its WebSocket. Heap after a full GC
 * (`HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage`) and the process's own event-loop
 * delay (a `monitorEventLoopDelay` histogram installed in it by `Runtime.evaluate`).
 *
 * Costs to the process: one socket, and a full GC each time the heap is asked for (a pause the
 * loop-delay histogram sees: ask every ~30 s, not every second).
 */
import { once } from 'node:events';
import WebSocket from 'ws';

export interface LoopDelay {
  /**
   * ms of lag beyond the 10 ms sampling period; over the window since the last read (null: no
   * sample in the window, the loop never got to its timer), and over the run.
   */
  windowP99: number | null;
  windowMax: number | null;
  windowSamples: number;
  runP50: number;
  runP99: number;
  runMax: number;
  samples: number;
}

/**
 * Evaluated in the inspected process (no imports there: getBuiltinModule). The window histogram is
 * replaced by a new one at each read rather than reset: a window then never carries state over.
 * A window with no sample at all means the loop's 10 ms timer never fired in it (the loop was
 * blocked, or the process not scheduled, the whole window): that is reported as `windowSamples: 0`
 * and the window's figures as null, never as 0 ms.
 */
const LOOP_DELAY_EXPRESSION = `(() => {
  const g = globalThis;
  const { monitorEventLoopDelay } = process.getBuiltinModule('node:perf_hooks');
  const fresh = () => { const h = monitorEventLoopDelay({ resolution: 10 }); h.enable(); return h; };
  if (!g.__labLoop) g.__labLoop = { run: fresh(), window: fresh() };
  const { run, window } = g.__labLoop;
  const lag = (ns) => Math.max(0, ns / 1e6 - 10);
  const out = {
    windowP99: window.count ? lag(window.percentile(99)) : null,
    windowMax: window.count ? lag(window.max) : null,
    windowSamples: window.count,
    runP50: run.count ? lag(run.percentile(50)) : 0,
    runP99: run.count ? lag(run.percentile(99)) : 0,
    runMax: run.count ? lag(run.max) : 0,
    samples: run.count,
  };
  window.disable();
  g.__labLoop.window = fresh();
  return JSON.stringify(out);
})()`;

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as { id?: number; result?: unknown; error?: unknown };
      if (message.id === undefined) return;
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      resolve?.(message.error ? { error: message.error } : message.result);
    });
  }

  /** Connect to the inspector listening on `port` (the first target it lists). */
  static async connect(port: number, timeoutMs = 20_000): Promise<Inspector> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
          webSocketDebuggerUrl: string;
        }[];
        const url = targets[0]?.webSocketDebuggerUrl;
        if (url) {
          const ws = new WebSocket(url, { perMessageDeflate: false });
          await once(ws, 'open');
          const inspector = new Inspector(ws);
          await inspector.loopDelay(); // installs the histograms now
          return inspector;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`no inspector on 127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** One inspector call; rejects after `timeoutMs` (a starved process may answer late or never). */
  private call(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<unknown> {
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`inspector: ${method} not answered in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
    this.ws.send(JSON.stringify({ id, method, params }));
    return answer;
  }

  /** Heap in use right after a full garbage collection, bytes. */
  async heapAfterGc(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    const usage = (await this.call('Runtime.getHeapUsage')) as { usedSize: number };
    return usage.usedSize;
  }

  async loopDelay(): Promise<LoopDelay> {
    const result = (await this.call('Runtime.evaluate', {
      expression: LOOP_DELAY_EXPRESSION,
      returnByValue: true,
    })) as {
      result?: { value?: string };
    };
    const text = result.result?.value;
    if (typeof text !== 'string') throw new Error(`inspector: no loop delay (${JSON.stringify(result)})`);
    return JSON.parse(text) as LoopDelay;
  }

  close(): void {
    this.ws.close();
  }
}
