/**
 * DNS rebinding guard. A page on evil.example can re-point its own name at 127.0.0.1 and then
 * talk to a lab on the student's loopback as if same-origin: the browser sends
 * `Host: evil.example:3000`. So a request that arrived on a loopback address must name a
 * loopback host (localhost, *.localhost, 127.x.y.z, [::1]) or one the lab was told to accept
 * (`--allow-host`); anything else is 403 LAB_FOREIGN_HOST, before any route runs — WebSocket
 * upgrades included. A lab bound to a LAN address for a classroom answers any Host there (it
 * cannot know its names), and still guards its loopback side.
 */
import { ForeignHostError } from '../errors.js';
import type { Lab } from '../lab.js';
import { isLoopbackHost } from './exposure.js';

/** The host name of a Host header value, without the port (IPv6 brackets kept off too). */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']') >= 0 ? value.indexOf(']') : undefined);
  const colon = value.indexOf(':');
  return colon >= 0 ? value.slice(0, colon) : value;
}

export function hostAllowed(header: string | undefined, allowedHosts: readonly string[]): boolean {
  // No Host at all: HTTP/1.0, raw tools. A browser always sends one, so rebinding cannot hide here.
  if (header === undefined) return true;
  const name = hostName(header);
  return isLoopbackHost(name) || allowedHosts.some((allowed) => allowed.toLowerCase() === name);
}

/** What the guard reads of a request: Fastify's request and Node's IncomingMessage both have it. */
interface Asking {
  socket: { localAddress?: string | undefined };
  headers: { host?: string | undefined };
}

/**
 * The guard's answer for a request: its 403, or undefined when it may pass. The same function is a
 * step of the one per-request hook (server/request-steps.ts) and the fast lane's Host check.
 */
export function hostRefusal(lab: Lab): (request: Asking) => Error | undefined {
  // The server's own address is one of very few: the answer for the last one is kept, not worked out per request.
  let lastLocal: string | undefined;
  let lastLoopback = false;
  // A keep-alive client sends the same Host on every request: the last few accepted are kept, so an
  // identical one is not trimmed, lower-cased and matched again. Only accepted ones: a refusal is
  // worked out in full every time (and words its own error). Kept for one list of allowed hosts.
  const accepted = new AcceptedHosts();
  let acceptedFor: readonly string[] | undefined;
  return (request) => {
    const local = request.socket.localAddress;
    if (local === undefined) return undefined;
    if (local !== lastLocal) {
      lastLocal = local;
      lastLoopback = isLoopbackHost(local);
    }
    if (!lastLoopback) return undefined;
    const host = request.headers.host;
    if (host === undefined) return undefined;
    const { allowedHosts } = lab.options;
    if (allowedHosts !== acceptedFor) {
      accepted.clear();
      acceptedFor = allowedHosts;
    }
    if (accepted.has(host)) return undefined;
    if (!hostAllowed(host, allowedHosts)) return new ForeignHostError(host);
    accepted.add(host);
    return undefined;
  };
}

/** Host values accepted lately: at most ACCEPTED_HOSTS, the oldest replaced first. */
const ACCEPTED_HOSTS = 8;

class AcceptedHosts {
  private readonly values: string[] = [];
  private next = 0;

  has(host: string): boolean {
    const { values } = this;
    for (let i = 0; i < values.length; i++) if (values[i] === host) return true;
    return false;
  }

  add(host: string): void {
    if (this.values.length < ACCEPTED_HOSTS) this.values.push(host);
    else this.values[this.next] = host;
    this.next = (this.next + 1) % ACCEPTED_HOSTS;
  }

  clear(): void {
    this.values.length = 0;
    this.next = 0;
  }
}
