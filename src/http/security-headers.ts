import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route serves pages: it gets helmet's whole header set, document
     * headers included, with these overrides (the login page's own CSP).
     */
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

/**
 * Headers that tell a browser how to treat a document: its window opener,
 * agent cluster, link DNS prefetching, IE's download prompt, Flash and PDF
 * policy files, the retired XSS auditor. An API answer is never rendered as a
 * document (`nosniff` and `default-src 'none'` see to that), and each header
 * costs a cheap request about 1 µs to validate and write (twelve of them took
 * a third of a bare route's throughput, measured), so JSON answers go without.
 */
const DOCUMENT_ONLY: HelmetOptions = {
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/**
 * The service's options for every answer: an API needs no CSP source at all
 * (the login page sets its own), and HSTS only means something under https.
 */
export const serviceSecurityHeaders = (https: boolean): HelmetOptions => ({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
  hsts: https ? { maxAge: 31536000, includeSubDomains: true } : false,
  crossOriginResourcePolicy: { policy: 'same-site' },
});

/**
 * Sets helmet's security headers on every answer, 404s and errors included,
 * from sets computed at start: `options` without the document-only headers
 * for API answers, and helmet's whole set with a route's `securityHeaders`
 * overrides for the routes that serve pages.
 */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance, options: HelmetOptions) => {
    const api = securityHeaderSet({ ...options, ...DOCUMENT_ONLY } as HelmetOptions);
    // Keyed by the route's overrides object, which Fastify keeps by reference in the route's config.
    const pages = new WeakMap<HelmetOptions, HeaderSet>();
    app.addHook('onRoute', (route) => {
      const overrides = route.config?.securityHeaders;
      if (overrides && !pages.has(overrides)) pages.set(overrides, securityHeaderSet({ ...options, ...overrides } as HelmetOptions));
    });
    const headersFor = ({ securityHeaders }: { securityHeaders?: HelmetOptions }): HeaderSet =>
      (securityHeaders && pages.get(securityHeaders)) || api;
    app.addHook('onRequest', (request, reply, done) => {
      reply.headers(headersFor(request.routeOptions.config));
      done();
    });
  },
  { name: 'security-headers' },
);
