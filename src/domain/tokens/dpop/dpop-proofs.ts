import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../../clock.js';
import { AppError } from '../../errors.js';
import type { DpopNonces } from './dpop-nonces.js';
import type { DpopReplayStore } from './dpop-replay-store.js';

/** Asymmetric algorithms only (RFC 9449 §4.2): `none` and MACs would prove nothing about a key the client holds. */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'];

export interface DpopSettings {
  /** How old a proof's `iat` may be (§4.3 item 11, §11.1). */
  readonly proofLifetimeSeconds: number;
  readonly clockSkewSeconds: number;
  /** Every proof must carry a nonce this service issued (§8). */
  readonly nonceRequired: boolean;
}

/** The request a proof is presented with. */
export interface ProofContext {
  readonly method: string;
  /** The URI the client addressed: the issuer's origin and the route's path. */
  readonly uri: string;
  /** At a protected resource: the access token the proof must name in `ath` (§4.3 item 12, §7). */
  readonly accessToken?: string;
}

// RFC 7517/7518 members that only a private or symmetric key has (§4.3 item 7: the header key must be public).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_JTI_LENGTH = 256;

export const sha256Base64url = (value: string) => createHash('sha256').update(value, 'ascii').digest('base64url');

/** A proof URI without query and fragment, normalised (§4.3 item 9, RFC 3986 §6.2.2–6.2.3). */
function normalizedUri(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * Verifies DPoP proofs (RFC 9449 §4.3) with jose: `typ: dpop+jwt`, an
 * allowed asymmetric algorithm, a public `jwk` in the header that verifies
 * the signature, `htm` and `htu` of this request, a fresh `iat`, a `jti` not
 * seen before within the proof lifetime, `ath` at resources, and a nonce of
 * ours when they are required. Answers the key's RFC 7638 thumbprint.
 */
export class DpopProofs {
  constructor(
    private readonly replay: DpopReplayStore,
    private readonly nonces: DpopNonces,
    private readonly settings: DpopSettings,
    private readonly clock: Clock,
  ) {}

  /** The nonce to hand out in `DPoP-Nonce` (§8.2), when nonces are required. */
  nonce(): string | undefined {
    return this.settings.nonceRequired ? this.nonces.current() : undefined;
  }

  async verify(proof: string, context: ProofContext): Promise<{ jkt: string }> {
    let jwk: JWK | undefined;
    try {
      jwk = decodeProtectedHeader(proof).jwk;
    } catch (cause) {
      throw invalid('not a JWS', cause);
    }
    if (!jwk || typeof jwk !== 'object') throw invalid('no jwk header');
    if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw invalid('jwk holds private key material');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: DPOP_ALGORITHMS,
        currentDate: this.clock.now(),
        clockTolerance: this.settings.clockSkewSeconds,
      }));
    } catch (cause) {
      throw invalid((cause as { code?: string }).code ?? 'unverifiable', cause);
    }
    this.#checkClaims(payload, context);
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    // Scoped by key: a jti is the client's choice, so one client's jti never refuses another's proof.
    const fresh = await this.replay.claim(`${jkt}:${sha256Base64url(payload.jti as string)}`, this.settings.proofLifetimeSeconds + 2 * this.settings.clockSkewSeconds);
    if (!fresh) throw invalid('jti replayed');
    return { jkt };
  }

  #checkClaims(payload: JWTPayload, context: ProofContext): void {
    const { jti, htm, htu, iat, ath, nonce } = payload as Record<string, unknown>;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw invalid('no usable jti');
    if (htm !== context.method) throw invalid('htm does not match the request method');
    const proofUri = typeof htu === 'string' ? normalizedUri(htu) : undefined;
    if (proofUri === undefined || proofUri !== normalizedUri(context.uri)) throw invalid('htu does not match the request URI');
    const now = this.clock.now().getTime() / 1000;
    const { proofLifetimeSeconds: lifetime, clockSkewSeconds: skew } = this.settings;
    if (typeof iat !== 'number' || iat < now - lifetime - skew || iat > now + skew) throw invalid('iat outside the accepted window');
    if (context.accessToken !== undefined && ath !== sha256Base64url(context.accessToken)) throw invalid('ath does not match the access token');
    if (this.settings.nonceRequired && (typeof nonce !== 'string' || !this.nonces.isValid(nonce))) {
      throw new AppError('use_dpop_nonce', 'Resend the request with a DPoP proof that carries the DPoP-Nonce of this response.', {
        headers: { 'dpop-nonce': this.nonces.current() },
        internal: `DPoP proof rejected: ${nonce === undefined ? 'no nonce' : 'stale or foreign nonce'}`,
      });
    }
  }
}

const invalid = (reason: string, cause?: unknown) =>
  new AppError('invalid_dpop_proof', 'The DPoP proof is invalid.', { internal: `DPoP proof rejected: ${reason}`, cause });
