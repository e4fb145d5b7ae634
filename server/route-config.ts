/**
 * A request's route config (`config` of its route: its transport, its security headers), read once
 * per request. Fastify's `request.routeOptions` builds a fresh object of eleven fields on every
 * read, and three per-request hooks want the config: reading it once is measurable on a short poll
 * (`npm run bench`).
 */
import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';

export function routeConfig(request: FastifyRequest): FastifyContextConfig {
  let config = request.labRouteConfig;
  if (config === null || config === undefined) {
    config = request.routeOptions.config ?? {};
    request.labRouteConfig = config;
  }
  return config;
}

/** Declared up front so every request object has the same shape (Fastify's advice for decorations). */
export function declareRouteConfig(app: FastifyInstance): void {
  if (!app.hasRequestDecorator('labRouteConfig')) app.decorateRequest('labRouteConfig', null);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `routeConfig`; null until then. */
    labRouteConfig: FastifyContextConfig | null;
  }
}
