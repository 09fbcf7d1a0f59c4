import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Helmet options this route overrides (the login page's own CSP); the rest stay the service's. */
    securityHeaders?: HelmetOptions;
  }
}

type HeaderSet = Readonly<Record<string, string>>;

/**
 * The headers helmet would set for these options. Every header helmet sets
 * without CSP nonces is the same on every answer, so we ask helmet once per
 * route instead of once per request: @fastify/helmet builds helmet's
 * middleware (re-parsing the CSP) on every request, the largest cost of our
 * cheapest routes (the JWKS).
 */
export function securityHeaderSet(options: HelmetOptions): HeaderSet {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  helmet(options)({} as never, response as never, (error?: unknown) => void (failure = error));
  if (failure) throw failure;
  return Object.freeze(headers);
}

/** Sets helmet's security headers on every answer, 404s and errors included, from sets computed at start. */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance, defaults: HelmetOptions) => {
    const common = securityHeaderSet(defaults);
    // Keyed by the route's overrides object, which Fastify keeps by reference in the route's config.
    const perRoute = new WeakMap<HelmetOptions, HeaderSet>();
    app.addHook('onRoute', (route) => {
      const overrides = route.config?.securityHeaders;
      if (overrides && !perRoute.has(overrides)) perRoute.set(overrides, securityHeaderSet({ ...defaults, ...overrides } as HelmetOptions));
    });
    const headersFor = ({ securityHeaders }: { securityHeaders?: HelmetOptions }): HeaderSet =>
      (securityHeaders && perRoute.get(securityHeaders)) || common;
    app.addHook('onRequest', (request, reply, done) => {
      reply.headers(headersFor(request.routeOptions.config));
      done();
    });
  },
  { name: 'security-headers' },
);
