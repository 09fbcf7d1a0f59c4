import { randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { sha256Base64url } from '../../src/domain/tokens/dpop/dpop-proofs.js';

/** A client's DPoP key pair, and proofs made with it (RFC 9449 §4.2). */
export interface DpopKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly alg: string;
  readonly jkt: string;
  proof(claims: ProofClaims, header?: Record<string, unknown>): Promise<string>;
}

export interface ProofClaims {
  htm: string;
  htu: string;
  /** Seconds; now by default. */
  iat?: number;
  jti?: string;
  /** The access token the proof presents (becomes `ath`). */
  accessToken?: string;
  nonce?: string;
  [claim: string]: unknown;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return {
    privateKey,
    publicJwk,
    alg,
    jkt: await calculateJwkThumbprint(publicJwk),
    proof: ({ iat, jti, accessToken, ...claims }, header = {}) =>
      new SignJWT({ ...claims, jti: jti ?? randomUUID(), ...(accessToken ? { ath: sha256Base64url(accessToken) } : {}) })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: publicJwk, ...header })
        .setIssuedAt(iat ?? Math.floor(Date.now() / 1000))
        .sign(privateKey),
  };
}
