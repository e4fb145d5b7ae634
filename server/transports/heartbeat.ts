/**
 * The heartbeat of one transport's streams: ONE timer that beats every member each `intervalMs`,
 * not an interval (a timer and a closure) per connection. A lab holds thousands of idle streams.
 * What a beat is belongs to the transport: a WebSocket ping with its two-sweep deadline
 * (ws-heartbeat.ts), an SSE `: heartbeat` comment (sse-stream.ts).
 */

/**
 * The one interval: it runs while there is at least one member (started by the first to join,
 * stopped by the last to leave). Where the members are kept, and what a sweep does, is the
 * subclass's: a set of its own (Heartbeat below), or a set someone keeps anyway (ws-heartbeat.ts).
 */
export abstract class SweepTimer {
  /** Members now (joined and not yet left). */
  private count = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs: number) {}

  protected joined(): void {
    this.count += 1;
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      // The server's listening socket keeps the process alive, not this timer.
      this.timer.unref();
    }
  }

  protected left(): void {
    this.count = Math.max(0, this.count - 1);
    if (this.count === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  protected abstract sweep(): void;
}

/** Members in a set of its own: each costs a set entry. */
export class Heartbeat<Member> extends SweepTimer {
  private readonly members = new Set<Member>();

  constructor(
    intervalMs: number,
    private readonly beat: (member: Member) => void,
  ) {
    super(intervalMs);
  }

  add(member: Member): void {
    if (this.members.has(member)) return;
    this.members.add(member);
    this.joined();
  }

  delete(member: Member): void {
    if (this.members.delete(member)) this.left();
  }

  protected sweep(): void {
    for (const member of this.members) this.beat(member);
  }
}
