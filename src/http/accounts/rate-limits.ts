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

/** Counts per client IP and minute under `name`: the one per-IP key every limit here shares. */
const ipLimiter = (app: FastifyInstance, name: string, max: number): Limiter =>
  app.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: (request) => `${name}-ip:${normalizeIP(request.ip)}` });

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
  const perIp = ipLimiter(app, 'login', settings.perIp);
  const perAccount = app.createRateLimit({
    max: settings.perAccount,
    timeWindow: WINDOW_MS,
    keyGenerator: (request) => `login-account:${accountKey((request.body as { email?: unknown } | undefined)?.email)}`,
  });
  return (request: FastifyRequest) => enforce(request, [perIp, perAccount]);
}

/** Per client IP and minute, under its own name (`signup`, `mfa`…). */
export function perIpRateLimit(app: FastifyInstance, name: string, perIp: number): RateLimit {
  const limit = ipLimiter(app, name, perIp);
  return (request: FastifyRequest) => enforce(request, [limit]);
}

export interface EmailRateSettings {
  /** Per client IP, per minute. */
  readonly perIp: number;
  /** Per account or address, per hour: each request may send a mail, so this bounds mail bombing. */
  readonly perAccountPerHour: number;
}

/**
 * The routes that send mail or spend a mailed link (password reset, email
 * verification): per IP, and per account (`accountOf`: the address asked
 * for, or the signed-in user), counted whether or not the account exists.
 */
export function emailRateLimit(app: FastifyInstance, name: string, settings: EmailRateSettings, accountOf?: (request: FastifyRequest) => string): RateLimit {
  const limiters = [ipLimiter(app, name, settings.perIp)];
  if (accountOf) {
    limiters.push(app.createRateLimit({ max: settings.perAccountPerHour, timeWindow: 60 * WINDOW_MS, keyGenerator: (request) => `${name}-account:${accountKey(accountOf(request))}` }));
  }
  return (request: FastifyRequest) => enforce(request, limiters);
}

/** Sign-up per client IP: bounds account creation and probing for taken emails. */
export const signupRateLimit = (app: FastifyInstance, perIp: number): RateLimit => perIpRateLimit(app, 'signup', perIp);
