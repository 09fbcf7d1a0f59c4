import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';

/**
 * The request's one `DPoP` header (RFC 9449 §4.3 item 1), if any. Node joins
 * repeated headers with ", ", which a compact JWS never contains.
 */
export function dpopProofOf(request: FastifyRequest): string | undefined {
  const value = request.headers.dpop;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.includes(',')) throw new AppError('invalid_dpop_proof', 'Send exactly one DPoP header.');
  return value;
}
