import type { Clock } from '../clock.js';
import type { KeyRing } from '../keys/key-ring.js';
import { es256Signers } from '../tokens/jwt-signers.js';
import type { RevocationState } from './revocation-state.js';

export interface RevocationFeedSettings {
  readonly issuer: string;
  /** `exp - iat`: how long a verifier may trust a copy it holds without reaching us. */
  readonly lifetimeSeconds: number;
}

/** The feed as served: the signed JWT and the version its ETag names. */
export interface SignedRevocationFeed {
  readonly version: number;
  readonly jwt: string;
}

/**
 * The revocation feed (docs/revocation.md): a JWT signed like access tokens
 * (ES256, the JWKS's `kid`), `typ: revocation-feed+jwt` so it can never pass
 * for an access token, claims `{ iss, iat, exp, version, sids, subs }`.
 * Signed once per version and signing key, and again once half its lifetime
 * has passed, so a verifier's copy is never close to expiry; requests in
 * between are served the same string.
 */
export class RevocationFeed {
  readonly #sign = es256Signers('revocation-feed+jwt');
  #cached: { feed: SignedRevocationFeed; kid: string; iat: number } | undefined;

  constructor(
    private readonly state: RevocationState,
    private readonly keys: KeyRing,
    private readonly clock: Clock,
    private readonly settings: RevocationFeedSettings,
  ) {}

  async current(): Promise<SignedRevocationFeed> {
    const { kid, privateKey } = await this.keys.signingKey();
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const cached = this.#cached;
    if (cached && cached.feed.version === this.state.version && cached.kid === kid && iat - cached.iat < this.settings.lifetimeSeconds / 2) return cached.feed;
    const { version, sids, subs } = this.state.window();
    const jwt = this.#sign(kid, privateKey)({ iss: this.settings.issuer, iat, exp: iat + this.settings.lifetimeSeconds, version, sids, subs });
    const feed = { version, jwt };
    this.#cached = { feed, kid, iat };
    return feed;
  }
}
