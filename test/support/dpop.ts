import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { sha256Base64url } from '../../src/domain/tokens/dpop/dpop-proofs.js';

/** A client's DPoP key pair (RFC 9449 §4.1) and the thumbprint the server binds tokens to. */
export interface DpopKey {
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly jkt: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export interface ProofClaims {
  readonly htm: string;
  readonly htu: string;
  /** Seconds since the epoch; now by default. */
  readonly iat?: number;
  readonly jti?: string;
  /** The access token the proof is presented with; becomes `ath`. */
  readonly accessToken?: string;
  readonly nonce?: string;
}

/** Header overrides, for the forgeries the verifier must refuse. */
export interface ProofHeader {
  readonly typ?: string;
  readonly jwk?: JWK;
}

/** A DPoP proof JWT (RFC 9449 §4.2) signed with `key`, as a client library makes it. */
export function dpopProof(key: DpopKey, claims: ProofClaims, header: ProofHeader = {}): Promise<string> {
  const { htm, htu, iat = Math.floor(Date.now() / 1000), jti = randomUUID(), accessToken, nonce } = claims;
  return new SignJWT({ htm, htu, jti, iat, ...(accessToken ? { ath: sha256Base64url(accessToken) } : {}), ...(nonce ? { nonce } : {}) })
    .setProtectedHeader({ alg: key.alg, typ: header.typ ?? 'dpop+jwt', jwk: header.jwk ?? key.publicJwk })
    .sign(key.privateKey);
}
