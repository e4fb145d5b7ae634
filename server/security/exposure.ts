/**
 * The classroom bind (`--host 0.0.0.0`, or any address that is not loopback) opens the lab to
 * every machine that can reach this one. The lab has no login: say so, loudly, with what exactly
 * is open and where, before the "listening" line.
 */
import { networkInterfaces } from 'node:os';
import type { LabOptions } from '../config.js';

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    bare === 'localhost' ||
    bare.endsWith('.localhost') ||
    bare === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(bare) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
  );
}

/** The addresses other machines could use, for a wildcard bind (or the one address bound). */
function reachableAt(host: string, port: number): string[] {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  if (!wildcard) return [`http://${host.includes(':') ? `[${host}]` : host}:${port}`];
  const urls: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal) continue;
      if (address.family === 'IPv6' && host !== '::') continue;
      urls.push(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${port}`);
    }
  }
  return urls;
}

/** The warning for a bind beyond loopback, or null for a loopback one. */
export function exposureWarning(host: string, port: number, options: Pick<LabOptions, 'maxStreams'>): string | null {
  if (isLoopbackHost(host)) return null;
  const urls = reachableAt(host, port);
  return [
    `WARNING: listening on ${host}, not loopback. The lab has no login; anyone who can reach this machine can:`,
    '  - open the dashboard and read the feed (GET /, /api/poll, /api/long-poll, /api/sse, /api/ws),',
    '  - publish into it (POST /api/publish, WebSocket "publish" frames) and change its rate and payload (PUT /api/feed),',
    `  - read every client's counters and WebSocket handshakes (/api/stats, /api/handshake), and hold up to ${options.maxStreams} connections.`,
    `  Reachable at: ${urls.length > 0 ? urls.join(', ') : '(no external interface found)'}`,
    '  Use it only on a network you trust, and stop it (Ctrl-C) when the class is over. The default, 127.0.0.1, exposes nothing.',
  ].join('\n');
}
