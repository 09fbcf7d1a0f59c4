import { randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { sha256Base64url } from '../../src/domain/tokens/dpop/dpop-proofs.js';

/** A client's DPoP key pair, and proofs made with it (RFC 9449 §4.2). */
export interface DpopKey {
  readonly privateKey: CryptoKey;
  /** The public key, as a proof's header carries it. */
  readonly jwk: JWK;
  readonly alg: string;
  /** RFC 7638 thumbprint, the token's `cnf.jkt`. */
  readonly jkt: string;
  proof(claims: ProofClaims, header?: Record<string, unknown>): Promise<string>;
}

export interface ProofClaims extends JWTPayload {
  htm: string;
  htu: string;
  /** The access token the proof presents (becomes `ath`). */
  accessToken?: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    privateKey,
    jwk,
    alg,
    jkt: await calculateJwkThumbprint(jwk),
    // A fresh iat and jti unless `claims` say otherwise; a claim set to undefined is left out.
    proof: ({ accessToken, ...claims }, header = {}) =>
      new SignJWT({ iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ...(accessToken ? { ath: sha256Base64url(accessToken) } : {}), ...claims })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk, ...header })
        .sign(privateKey),
  };
}

/** A proof for `method` `url` presenting `accessToken`; `claims` override (a stale iat, another htu…), `jwk` replaces the header key. */
export const dpopProof = (key: DpopKey, accessToken: string, method: string, url: string, claims: JWTPayload = {}, jwk: JWK = key.jwk) =>
  key.proof({ htm: method, htu: url, accessToken, ...claims }, { jwk });
