/**
 * The server under test as the runner sees it: the current process (it changes on a restart),
 * its control API, the meter that follows its CPU and memory, and the proxies (in the groups'
 * workers) that must follow it to its new port.
 */

import { randomBytes } from 'node:crypto';
import { ControlClient } from '../client/control.js';
import { type ChildServer, type LabServerOptions, startLabServer } from '../tools/child-process.js';
import { ProcMeter } from './proc-meter.js';

export type UpstreamListener = (port: number) => Promise<unknown>;

export class LabUnderTest {
  readonly meter = new ProcMeter();
  private readonly followers = new Set<UpstreamListener>();
  private retired: Promise<unknown>[] = [];
  restarts = 0;
  private stopped = false;

  private constructor(
    private current: ChildServer,
    private readonly retention: number | null,
    /** Classroom mode: the instructor's token (the runner is the instructor), else null. */
    readonly instructorToken: string | null,
    private readonly sseRetryMs: number | null,
  ) {
    this.meter.follow(current.pid);
  }

  /** `classroom`: the lab in classroom mode (roles on), bound to loopback all the same. */
  static async start(
    retention: number | null,
    classroom = false,
    sseRetryMs: number | null = null,
  ): Promise<LabUnderTest> {
    const token = classroom ? randomBytes(18).toString('base64url') : null;
    const server = await startLabServer(labServerOptions(retention, token, sseRetryMs));
    return new LabUnderTest(server, retention, token, sseRetryMs);
  }

  get api(): ControlClient {
    const api = new ControlClient(this.current.url);
    api.actWithToken(this.instructorToken);
    return api;
  }

  get url(): string {
    return this.current.url;
  }

  get pid(): number {
    return this.current.pid;
  }

  get epoch(): string {
    return this.current.epoch;
  }

  /** Told the new port whenever the server moves (the groups' proxies). */
  follow(listener: UpstreamListener): () => void {
    this.followers.add(listener);
    return () => this.followers.delete(listener);
  }

  get port(): number {
    return this.current.port;
  }

  /** Start the next server (paused), ready to take over; the old one keeps serving meanwhile. */
  async spawnNext(): Promise<ChildServer> {
    return startLabServer(labServerOptions(this.retention, this.instructorToken, this.sseRetryMs));
  }

  /**
   * Hand over to `next`: the meter and the proxies follow it at once, and the old process gets
   * SIGTERM (its clients are closed the graceful way: long polls answered, SSE ended, WS 1012).
   * Like a restart behind a load balancer: reconnects land on the new process, with a new epoch.
   */
  async handOver(next: ChildServer): Promise<void> {
    const old = this.current;
    this.meter.follow(next.pid);
    this.current = next;
    // Every proxy points at the new port before the old process lets its clients go.
    await Promise.all([...this.followers].map((listener) => listener(next.port)));
    this.retired.push(old.stop());
    this.restarts += 1;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.followers.clear();
    this.meter.stop();
    await Promise.allSettled([...this.retired, this.current.stop()]);
  }
}

/**
 * The scenarios measure the transports, not the per-client poll limiter (server/security/
 * poll-limit.ts): busy feeds make long polls ask hundreds of times a second, and the capacity
 * phase is a flood by design. So the lab under test runs with the limit off.
 */
function labServerOptions(
  retention: number | null,
  instructorToken: string | null,
  sseRetryMs: number | null,
): LabServerOptions {
  const args = ['--poll-rate-limit', '0'];
  // An explicit reconnect wait (Scenario.reconnectWaitMs): SSE's `retry:` is the server's to send.
  if (sseRetryMs !== null) args.push('--sse-retry-ms', String(sseRetryMs));
  // A classroom on loopback: the roles and class routes of server/classroom/, nothing exposed.
  if (instructorToken !== null) args.push('--classroom', '--host', '127.0.0.1');
  const env: Record<string, string> = instructorToken === null ? {} : { CLASS_TOKEN: instructorToken };
  return retention === null ? { args, env } : { retention, args, env };
}
