import { createHash } from 'node:crypto';
import type { PublishedJwks } from './key-ring.js';
import type { PublicEcJwk } from './signing-key.js';

/**
 * Serialises the JWKS once. Each JWK is rebuilt member by member (RFC 7517
 * §4, RFC 7518 §6.2.1), so nothing but public members can reach the
 * document, whatever else an object might carry.
 */
export function publishJwks(keys: readonly { kid: string; publicJwk: PublicEcJwk }[]): PublishedJwks {
  const body = JSON.stringify({
    keys: keys.map(({ kid, publicJwk }) => ({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      use: 'sig',
      kid,
      x: publicJwk.x,
      y: publicJwk.y,
    })),
  });
  const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
  return { body, etag };
}
