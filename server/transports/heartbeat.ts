/**
 * The heartbeat of one transport's streams: ONE timer that beats every member each `intervalMs`,
 * not an interval (a timer and a closure) per connection. A lab holds thousands of idle streams,
 * and each then costs a set entry. What a beat is belongs to the transport: a WebSocket ping with
 * its two-sweep deadline (ws-heartbeat.ts), an SSE `: heartbeat` comment (sse-stream.ts).
 */
export class Heartbeat<Member> {
  private readonly members = new Set<Member>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly beat: (member: Member) => void,
  ) {}

  add(member: Member): void {
    this.members.add(member);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      // The server's listening socket keeps the process alive, not this timer.
      this.timer.unref();
    }
  }

  delete(member: Member): void {
    this.members.delete(member);
    if (this.members.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  get size(): number {
    return this.members.size;
  }

  private sweep(): void {
    for (const member of this.members) this.beat(member);
  }
}
