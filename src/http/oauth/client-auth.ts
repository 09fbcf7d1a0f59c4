import type { FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { clientAuthenticationFailed, type PresentedClient } from '../../domain/clients/authenticate.js';

type OAuthBody = Readonly<Record<string, string | undefined>>;

/**
 * Reads how the client authenticates (RFC 6749 §2.3): HTTP Basic, or
 * client_id and client_secret in the body, or client_id alone for a public
 * client. Using two methods at once is refused (§2.3).
 */
export function presentedClient(request: FastifyRequest): PresentedClient {
  const body = (request.body ?? {}) as OAuthBody;
  const basic = parseBasic(request.headers.authorization);
  if (basic) {
    if (body.client_secret !== undefined) throw new AppError('invalid_request', 'Use one client authentication method, not two.');
    if (body.client_id !== undefined && body.client_id !== basic.clientId) throw new AppError('invalid_request', 'client_id does not match the Authorization header.');
    return { method: 'client_secret_basic', ...basic };
  }
  if (!body.client_id) {
    throw clientAuthenticationFailed();
  }
  if (body.client_secret !== undefined) return { method: 'client_secret_post', clientId: body.client_id, secret: body.client_secret };
  return { method: 'none', clientId: body.client_id };
}

/** §2.3.1: the id and secret are form-urlencoded before being joined and base64-encoded. */
function parseBasic(header: string | undefined): { clientId: string; secret: string } | undefined {
  const match = header?.match(/^Basic ([A-Za-z0-9+/]+=*)$/i);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new AppError('invalid_request', 'Malformed Basic credentials.');
  try {
    const formDecode = (value: string) => decodeURIComponent(value.replaceAll('+', ' '));
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new AppError('invalid_request', 'Malformed Basic credentials.');
  }
}
