/**
 * Progress on stderr (stdout is kept for `--json`): a cli-progress bar on a TTY, plain
 * timestamped lines otherwise (CI logs, tests). The bar runs on the scenario's planned time.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** A new phase begins; `plannedMs` is the whole run's planned length, when known. */
  phase(name: string): void;
  /** A note (a fault fired, a point finished). */
  log(line: string): void;
  /** Live figures for the bar (deliveries, open clients…). */
  status(text: string): void;
  stop(): void;
}

export function createProgress(plannedMs: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY === true ? new BarProgress(plannedMs, stream) : new LineProgress(stream);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

class LineProgress implements Progress {
  private readonly started = performance.now();
  private lastStatus = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  phase(name: string): void {
    this.write(name);
  }

  log(line: string): void {
    this.write(line);
  }

  status(text: string): void {
    // A line every 5 s at most: a log, not a flood.
    const now = performance.now();
    if (now - this.lastStatus < 5_000) return;
    this.lastStatus = now;
    this.write(text);
  }

  stop(): void {}

  private write(line: string): void {
    this.stream.write(`[${seconds(performance.now() - this.started).padStart(7)}] ${line}\n`);
  }
}

class BarProgress implements Progress {
  private readonly bar: cliProgress.SingleBar;
  private readonly started = performance.now();
  private readonly timer: ReturnType<typeof setInterval>;
  private phaseName = 'starting';
  private text = '';

  constructor(
    private readonly plannedMs: number,
    private readonly stream: NodeJS.WriteStream,
  ) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{bar} {percentage}% | {elapsed_s}/{planned_s} s | {phase} {text}',
        hideCursor: true,
        clearOnComplete: true,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(Math.max(1, Math.round(plannedMs)), 0, this.payload());
    this.timer = setInterval(() => this.render(), 250);
    this.timer.unref();
  }

  phase(name: string): void {
    this.phaseName = name;
    this.text = '';
    this.render();
  }

  log(line: string): void {
    // Printed above the bar, which is redrawn under it.
    this.bar.stop();
    this.stream.write(`${line}\n`);
    this.bar.start(Math.max(1, Math.round(this.plannedMs)), this.elapsed(), this.payload());
  }

  status(text: string): void {
    this.text = text;
  }

  stop(): void {
    clearInterval(this.timer);
    this.bar.update(Math.round(this.plannedMs), this.payload());
    this.bar.stop();
  }

  private elapsed(): number {
    return Math.min(this.plannedMs, performance.now() - this.started);
  }

  private render(): void {
    this.bar.update(Math.round(this.elapsed()), this.payload());
  }

  private payload() {
    return {
      phase: this.phaseName,
      text: this.text,
      elapsed_s: ((performance.now() - this.started) / 1000).toFixed(0),
      planned_s: (this.plannedMs / 1000).toFixed(0),
    };
  }
}
