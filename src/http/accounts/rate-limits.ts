import { createHash } from 'node:crypto';
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { emailRateKey } from '../../domain/users/email.js';

export interface LoginRateSettings {
  /** Per client IP, per minute, across every login endpoint. */
  readonly perIp: number;
  /** Per account (normalised email, whether or not it exists), per minute. */
  readonly perAccount: number;
}

const WINDOW_MS = 60_000;

/** Emails are personal data: the limiter (and Redis) only ever sees a hash of one. */
const accountKey = (email: unknown) => createHash('sha256').update(emailRateKey(typeof email === 'string' ? email : ''), 'utf8').digest('base64url');

const tooMany = (retryAfterSeconds: number) =>
  new AppError('rate_limited', 'Too many attempts; try again later.', { headers: { 'retry-after': String(Math.max(1, retryAfterSeconds)) } });

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/** Throws `rate_limited` (429, Retry-After) when the request is over a limit; counts it either way. */
export type RateLimit = (request: FastifyRequest) => Promise<void>;

async function enforce(request: FastifyRequest, limiters: Limiter[]): Promise<void> {
  const results = await Promise.all(limiters.map((limit) => limit(request)));
  let retryAfter = 0;
  for (const result of results) {
    if (!result.isAllowed && result.isExceeded) retryAfter = Math.max(retryAfter, result.ttlInSeconds);
  }
  if (retryAfter > 0) throw tooMany(retryAfter);
}

/**
 * Brute-force defence in front of the credential check (@fastify/rate-limit;
 * its counts live in Redis when REDIS_URL is set, so replicas share them).
 * Both limits count every attempt, so they answer the same for an email that
 * exists and one that does not.
 */
export function loginRateLimit(app: FastifyInstance, settings: LoginRateSettings): RateLimit {
  const perIp = app.createRateLimit({ max: settings.perIp, timeWindow: WINDOW_MS, keyGenerator: (request) => `login-ip:${normalizeIP(request.ip)}` });
  const perAccount = app.createRateLimit({
    max: settings.perAccount,
    timeWindow: WINDOW_MS,
    keyGenerator: (request) => `login-account:${accountKey((request.body as { email?: unknown } | undefined)?.email)}`,
  });
  return (request: FastifyRequest) => enforce(request, [perIp, perAccount]);
}

/** Per client IP and minute, under its own name (`signup`, `mfa`…). */
export function perIpRateLimit(app: FastifyInstance, name: string, perIp: number): RateLimit {
  const limit = app.createRateLimit({ max: perIp, timeWindow: WINDOW_MS, keyGenerator: (request) => `${name}-ip:${normalizeIP(request.ip)}` });
  return (request: FastifyRequest) => enforce(request, [limit]);
}

/** Sign-up per client IP: bounds account creation and probing for taken emails. */
export const signupRateLimit = (app: FastifyInstance, perIp: number): RateLimit => perIpRateLimit(app, 'signup', perIp);
