import type { FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';

/** OAuth endpoints take application/x-www-form-urlencoded only (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1). */
export async function requireFormBody(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new AppError('invalid_request', 'The request body must be application/x-www-form-urlencoded.');
  }
}
