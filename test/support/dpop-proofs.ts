import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
  /** RFC 7638 thumbprint, the token's `cnf.jkt`. */
  jkt: string;
}

export async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** An RFC 9449 §4.2 proof for `method` `url` and `accessToken`; `claims` override (a stale iat, another htu...). */
export function dpopProof(key: DpopKey, accessToken: string, method: string, url: string, claims: JWTPayload = {}, jwk: JWK = key.jwk): Promise<string> {
  const ath = createHash('sha256').update(accessToken).digest('base64url');
  return new SignJWT({ htm: method, htu: url, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ath, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .sign(key.privateKey);
}
