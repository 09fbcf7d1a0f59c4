import { AppError } from '../errors.js';
import type { Client, ClientRegistry } from './client.js';
import type { SecretHasher } from './secret.js';

/** How a client presented itself on a request (RFC 6749 §2.3). */
export type PresentedClient =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly secret: string }
  | { readonly method: 'none'; readonly clientId: string };

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;

/**
 * RFC 6749 §5.2 invalid_client: 401 with a Basic challenge. The same answer
 * for every failure, so a caller cannot tell an unknown client from a wrong secret.
 */
export const clientAuthenticationFailed = (detail = 'Client authentication failed.') =>
  new AppError('invalid_client', detail, { headers: { 'www-authenticate': 'Basic realm="identity", charset="UTF-8"' } });

/**
 * Confidential clients must prove their secret; public clients must not send
 * one (they cannot keep it secret, RFC 6749 §2.1).
 */
export function authenticateClient(presented: PresentedClient, registry: ClientRegistry, hasher: SecretHasher): Client {
  const client = registry.find(presented.clientId);
  if (!client) throw clientAuthenticationFailed();
  if (client.type === 'public') {
    if (presented.method !== 'none') throw clientAuthenticationFailed();
    return client;
  }
  // The registered method is the only one accepted (RFC 7591 §2 token_endpoint_auth_method): a secret meant for
  // Basic is not also good in a form body, where it is likelier to be logged.
  const registered = client.tokenEndpointAuthMethod;
  if (presented.method === 'none' || (registered && presented.method !== registered) || !client.secretHash) throw clientAuthenticationFailed();
  if (!hasher.matches(presented.secret, client.secretHash)) throw clientAuthenticationFailed();
  return client;
}
