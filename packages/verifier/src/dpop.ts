import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { VerifierError } from './errors.js';

export interface DpopPresentation {
  /** The DPoP header's value. */
  proof: string | undefined;
  /** The request's method and absolute URL as the client addressed it (RFC 9449 §4.3 htm, htu). */
  method: string;
  url: string;
}

export interface DpopOptions {
  algorithms: string[];
  /** How old a proof's iat may be (RFC 9449 §11.1: a short window bounds replay). */
  proofMaxAgeSeconds: number;
  clockToleranceSeconds: number;
}

interface ProofClaims extends JWTPayload {
  htm: string;
  htu: string;
  ath: string;
}

/**
 * RFC 9449 §4.3 and §7.1: a proof signed by the key the token is bound to
 * (`cnf.jkt`), for this method and URL, fresh, for this very token (`ath`),
 * and seen once (`jti`). The replay cache lives in this process: behind a
 * load balancer, a proof replayed to another replica within the window passes
 * there (it still has to be for the same method, URL and token).
 */
export class DpopVerifier {
  #seen = new Map<string, number>();
  #sweepAt = 10_000;

  constructor(private readonly options: DpopOptions) {}

  async verify(presentation: DpopPresentation, accessToken: string, jkt: string): Promise<void> {
    const { proof, method, url } = presentation;
    if (!proof) throw invalid('The DPoP-bound token came without a DPoP proof.');
    let payload: ProofClaims;
    let jwk: JWK;
    try {
      const verified = await jwtVerify<ProofClaims>(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: this.options.algorithms,
        maxTokenAge: this.options.proofMaxAgeSeconds,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['jti', 'htm', 'htu', 'iat', 'ath'],
      });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk as JWK;
    } catch (cause) {
      const reason = cause instanceof joseErrors.JOSEError ? cause.code : 'malformed';
      throw invalid(`The DPoP proof failed verification (${reason}).`, cause);
    }
    if ((await calculateJwkThumbprint(jwk)) !== jkt) throw invalid('The DPoP proof is signed by a key other than the one the token is bound to.');
    if (payload.htm !== method.toUpperCase()) throw invalid('The DPoP proof is for another method.');
    if (!sameTarget(payload.htu, url)) throw invalid('The DPoP proof is for another URL.');
    if (payload.ath !== createHash('sha256').update(accessToken).digest('base64url')) throw invalid('The DPoP proof is for another access token.');
    this.#remember(`${jkt}:${payload.jti}`, (payload.iat! + this.options.proofMaxAgeSeconds + this.options.clockToleranceSeconds) * 1000);
  }

  #remember(key: string, expiresAt: number): void {
    const now = Date.now();
    const seenUntil = this.#seen.get(key);
    if (seenUntil !== undefined && seenUntil > now) throw invalid('The DPoP proof was already used.');
    this.#seen.set(key, expiresAt);
    if (this.#seen.size >= this.#sweepAt) {
      for (const [seenKey, until] of this.#seen) if (until <= now) this.#seen.delete(seenKey);
      this.#sweepAt = Math.max(10_000, this.#seen.size * 2);
    }
  }
}

/** RFC 9449 §4.3: htu compared without query and fragment, after URL normalization. */
function sameTarget(htu: string, url: string): boolean {
  const strip = (value: string) => {
    const parsed = new URL(value);
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  };
  try {
    return strip(htu) === strip(url);
  } catch {
    return false;
  }
}

const invalid = (message: string, cause?: unknown) => new VerifierError('invalid_dpop_proof', message, { cause });
