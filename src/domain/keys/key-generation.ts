import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { PublicEcJwk } from './signing-key.js';

export interface GeneratedSigningKey {
  readonly kid: string;
  readonly publicJwk: PublicEcJwk;
  readonly privateKey: KeyObject;
}

/**
 * A fresh P-256 key pair for ES256. The kid is the RFC 7638 thumbprint, so it
 * is unique per key and anyone holding the public key can recompute it.
 */
export async function generateSigningKey(): Promise<GeneratedSigningKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = publicJwkOf(privateKey);
  return { kid: await thumbprint(publicJwk), publicJwk, privateKey };
}

/** The public JWK derived from a private (or public) P-256 key: members kty, crv, x, y only. */
export function publicJwkOf(key: KeyObject): PublicEcJwk {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new TypeError('not a P-256 key');
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

export const thumbprint = (jwk: PublicEcJwk): Promise<string> => calculateJwkThumbprint(jwk, 'sha256');
