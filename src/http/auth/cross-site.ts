import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Second line of CSRF defence (OWASP CSRF cheat sheet, "Fetch Metadata" and
 * "Verifying origin with standard headers"). `Sec-Fetch-Site` is set by the
 * browser and cannot be changed by a page, so when present it decides; older
 * browsers are judged by `Origin` instead (where `null`, sent by sandboxed or
 * privacy-stripped contexts, counts as foreign). Clients that send neither
 * (curl, mobile apps) are not browsers and carry no ambient cookie.
 */
export function isCrossSite(request: FastifyRequest, ownOrigin: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin !== ownOrigin;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfTokenMatches(presented: unknown, expected: string | undefined): boolean {
  if (typeof presented !== 'string' || !expected || presented.length === 0) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isFormPost = (request: FastifyRequest): boolean =>
  request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
