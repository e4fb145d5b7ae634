/**
 * A real load balancer in front of the instances: Debian's HAProxy, round-robin per request,
 * with NO stickiness (no cookie, no source hash), so a client's next poll, reconnect or
 * EventSource retry may meet any instance. Health checks take a dead instance out within about
 * three seconds; `retries` + `redispatch` send a refused connection to another instance.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAPROXY = '/usr/sbin/haproxy';

export interface Balancer {
  url: string;
  port: number;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export function haproxyConfig(port: number, backends: { name: string; port: number }[]): string {
  return [
    'global',
    '  maxconn 8000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 90s',
    '  timeout server 90s',
    // WebSocket and SSE streams live as long as they like once upgraded/started.
    '  timeout tunnel 1h',
    // A busy 2-core machine answers health checks slowly: slow is not dead.
    '  timeout check 5s',
    '  retries 2',
    '  option redispatch',
    // Without it HAProxy asks the kernel to hold small writes back until a full packet (MSG_MORE):
    // an SSE event of a few hundred bytes then waits up to ~200 ms ("option http-no-delay" in
    // HAProxy's configuration manual). Measured in results/scale-out/2026-11-30T02-55-25Z, taken
    // without it: SSE's median age 113 ms against WebSocket's 6.5 ms (docs/scale-out.md).
    '  option http-no-delay',
    'frontend lab',
    `  bind 127.0.0.1:${port}`,
    '  default_backend instances',
    'backend instances',
    // Every request is balanced on its own: no cookie, no stick table, no prefer-last-server.
    '  balance roundrobin',
    '  option httpchk GET /api/time',
    '  default-server inter 1s fall 3 rise 2',
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
    '',
  ].join('\n');
}

export async function startHaproxy(
  port: number,
  backends: { name: string; port: number }[],
  binary = HAPROXY,
): Promise<Balancer> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(port, backends));
  // -db: stay in the foreground, so the child is HAProxy itself and stops with it.
  const child: ChildProcess = spawn(binary, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${output}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not listen on ${port}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
