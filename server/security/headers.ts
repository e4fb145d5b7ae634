/**
 * Security headers on every answer (pages, JSON, SSE streams), via @fastify/helmet.
 *
 * The Content-Security-Policy is the one the dashboard actually passes: scripts and styles only
 * from this server, no inline script, no 'unsafe-inline' for styles (the dashboard sets its few
 * dynamic styles through the CSSOM, which CSP does not govern), no 'unsafe-eval' (the bundled
 * hdr-histogram-js's `eval` is replaced at build time, see scripts/build-web.mjs). Checked in a
 * real Chromium by test/browser/csp.test.ts.
 *
 * Two of helmet's defaults are turned off on purpose, for a lab served over plain HTTP:
 * - `upgrade-insecure-requests` would make a classroom browser (http://192.168.x.y:3000) fetch
 *   every subresource over HTTPS, which this server does not speak on that port;
 * - Strict-Transport-Security on `localhost` would pin every localhost port of the student's
 *   browser to HTTPS for a year.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** The policy, directive by directive (exported for the tests and docs/reliability.md). */
export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  // WebSocket lanes connect to this server; `ws:`/`wss:` also let the dashboard's
  // custom-URL lane reach another WebSocket server a student names. A lane on a network profile
  // polls and streams through a shaping listener on another port of 127.0.0.1 (server/networks.ts).
  'connect-src': ["'self'", 'ws:', 'wss:', 'http://127.0.0.1:*'],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  // Nobody may frame the dashboard (clickjacking its controls).
  'frame-ancestors': ["'none'"],
} as const;

export function cspHeaderValue(): string {
  return Object.entries(CSP_DIRECTIVES)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join(';');
}

/**
 * API answers (everything under /api/) are data, never a document: the whole policy they need is
 * "load nothing, be framed by nobody". A short set matters here because a poll answer carries it
 * every time, and the lab measures exactly those header bytes (docs/reliability.md gives the cost).
 */
export const API_HELMET = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
  },
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xFrameOptions: false,
  xXssProtection: false,
} as const;

export async function securityHeaders(app: FastifyInstance): Promise<void> {
  // Before helmet's own onRoute hook, which reads `helmet` off each route as it is added.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && route.helmet === undefined) route.helmet = { ...API_HELMET };
  });
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: Object.fromEntries(Object.entries(CSP_DIRECTIVES).map(([k, v]) => [k, [...v]])),
    },
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  });
}
