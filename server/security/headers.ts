/**
 * Security headers on every answer (pages, JSON, SSE streams), as helmet sets them.
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
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { RequestStep } from '../request-steps.js';
import { declareRouteConfig, routeConfig } from '../route-config.js';

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

/** Every page (and the 404s): helmet's defaults with the policy above. */
const PAGE_HELMET: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: Object.fromEntries(Object.entries(CSP_DIRECTIVES).map(([k, v]) => [k, [...v]])),
  },
  strictTransportSecurity: false,
  referrerPolicy: { policy: 'no-referrer' },
  xFrameOptions: { action: 'deny' },
};

/** One header helmet sets (value) or removes (null), in helmet's order. */
type HeaderStep = readonly [name: string, value: string | null];

/**
 * What helmet does to a response with these options, recorded once. None of our directives is a
 * function (no nonces), so helmet would do exactly this on every answer: replaying the steps gives
 * the same headers in the same order, without building helmet's middleware per request as
 * @fastify/helmet does (per request it merged the options and rebuilt every header: the largest share of a short
 * poll's CPU after Node's own HTTP work, see `npm run bench`).
 */
export function helmetSteps(options: HelmetOptions): HeaderStep[] {
  const steps: HeaderStep[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => steps.push([name, String(value)]),
    removeHeader: (name: string) => steps.push([name, null]),
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return steps;
}

const PAGE_STEPS = helmetSteps(PAGE_HELMET);
// @fastify/helmet merged a route's options over the global ones, shallowly: the same here.
const API_STEPS = helmetSteps({ ...PAGE_HELMET, ...API_HELMET } as HelmetOptions);

/**
 * Where a route's security headers go. Most routes answer through Fastify's reply: the headers go
 * into the reply's own header object, so Node's `writeHead` takes its fast path (one object, no
 * merge). Headers set on the raw response with `setHeader` before it would make every `writeHead`
 * merge Fastify's headers in one `setHeader` at a time (a measurable share of a short poll, see
 * `npm run bench`). A route that hijacks the reply and writes its own head on the raw response (the
 * live stats stream, Engine.IO) says `config: { rawHead: true }`: its headers are set on the raw
 * response, where its own `writeHead` merges them. Same names, values and order either way (Fastify
 * writes names in lower case: the same bytes on the wire).
 *
 * `rawHead: 'own'` (SSE): the route writes its head in ONE `writeHead` and puts the security headers
 * in it itself (`ownHead`). Headers set with `setHeader` stay on the response as a header table (an
 * object and one [name, value] array per header, ~1.2 KB) as long as the response lives, and an idle
 * SSE stream lives for hours (the memory rows of `npm run bench`); one object passed to `writeHead`
 * is only read. Same names, values and order on the wire as `rawHead: true`.
 */
interface HeaderPlan {
  /** Lower-case names and values, in helmet's order (removals dropped: nothing is set yet when they run). */
  reply: readonly (readonly [name: string, value: string])[];
  raw: readonly HeaderStep[];
  /** The raw steps done on an empty head: helmet's names (their case is on the wire) and values, in order. */
  own: Readonly<Record<string, string>>;
}

function planOf(steps: readonly HeaderStep[]): HeaderPlan {
  const reply: [string, string][] = [];
  for (const [name, value] of steps) {
    const lower = name.toLowerCase();
    const at = reply.findIndex(([n]) => n === lower);
    if (at >= 0) reply.splice(at, 1);
    if (value !== null) reply.push([lower, value]);
  }
  const own: Record<string, string> = {};
  for (const [name, value] of steps) {
    // setHeader and removeHeader match names in any case; the name set last is the one written.
    const same = Object.keys(own).find((n) => n.toLowerCase() === name.toLowerCase());
    if (same !== undefined) delete own[same];
    if (value !== null) own[name] = value;
  }
  return { reply, raw: steps, own };
}

const PAGE_PLAN = planOf(PAGE_STEPS);
const API_PLAN = planOf(API_STEPS);

/** The headers every /api/ answer given through Fastify's reply starts with, in order (server/fast-lane.ts). */
export const API_REPLY_HEADERS = API_PLAN.reply;

/**
 * Plans each route's headers as it is added, and returns the step of the one per-request hook
 * (server/request-steps.ts) that puts them on the answer; answers that match no route get the page set.
 */
export function securityHeaders(app: FastifyInstance): RequestStep {
  declareRouteConfig(app);
  // Each route knows its headers when it is added: /api/ routes the short set, the rest the page set.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, securityHeaders: route.url.startsWith('/api/') ? API_PLAN : PAGE_PLAN };
  });
  return (request, reply) => {
    const config = routeConfig(request);
    const plan = config.securityHeaders ?? PAGE_PLAN;
    if (config.rawHead === 'own') return undefined;
    if (config.rawHead === true) {
      const res = reply.raw;
      for (const [name, value] of plan.raw) {
        if (value === null) res.removeHeader(name);
        else res.setHeader(name, value);
      }
    } else {
      for (const [name, value] of plan.reply) reply.header(name, value);
    }
    return undefined;
  };
}

/**
 * The whole head of a `rawHead: 'own'` route's answer, for its one `writeHead`: the security headers,
 * then any header a later request step set on the raw response (CORS through a network listener,
 * server/networks.ts, a lower-case name), then the route's own — the order they had when the
 * security headers were set on the raw response first. In that rare case the response keeps its
 * header table (Node merges into it); otherwise it has none.
 */
export function ownHead(request: FastifyRequest, res: ServerResponse, route: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const security = (routeConfig(request).securityHeaders ?? PAGE_PLAN).own;
  const names = res.getHeaderNames();
  if (names.length === 0) return { ...security, ...route };
  const later: OutgoingHttpHeaders = {};
  for (const name of names) {
    later[name] = res.getHeader(name);
    res.removeHeader(name);
  }
  return { ...security, ...later, ...route };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The security headers of this route's answers (set by securityHeaders). */
    securityHeaders?: HeaderPlan;
    /**
     * The route hijacks its reply and writes its own head on the raw response (`reply.raw.writeHead`):
     * its security headers must be on the raw response, not in Fastify's reply. `'own'`: the route
     * puts them in its one `writeHead` itself (`ownHead`), so the response keeps no header table.
     */
    rawHead?: boolean | 'own';
  }
}
