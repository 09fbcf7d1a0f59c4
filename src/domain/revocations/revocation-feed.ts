import type { Clock } from '../clock.js';
import type { KeyRing } from '../keys/key-ring.js';
import { es256Signers } from '../tokens/jwt-signers.js';
import type { RevocationState } from './revocation-state.js';

export interface RevocationFeedSettings {
  readonly issuer: string;
  /** `exp - iat`: how long a verifier may trust a copy it holds without reaching us. */
  readonly lifetimeSeconds: number;
  /** A monotonic clock in milliseconds, to time the builds (tests pass their own). */
  readonly monotonicMs?: () => number;
}

// Building is synchronous CPU: about 0.7 s at 100,000 entries (npm run bench:feed).
// A build that took this long or more...
const SLOW_BUILD_MS = 50;
// ...is followed by one newer version only after this many times its duration,
// so re-signing under a stream of revocations takes at most a tenth of the
// event loop; cheaper builds never delay a version.
const SLOW_BUILD_SPACING = 10;

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
 * between are served the same string. A slow build spaces the next new
 * version (SLOW_BUILD_SPACING); a new signing key or the half lifetime never wait.
 */
export class RevocationFeed {
  readonly #sign = es256Signers('revocation-feed+jwt');
  readonly #monotonicMs: () => number;
  #cached: { feed: SignedRevocationFeed; kid: string; iat: number; nextVersionAtMs: number } | undefined;

  constructor(
    private readonly state: Pick<RevocationState, 'version' | 'window'>,
    private readonly keys: KeyRing,
    private readonly clock: Clock,
    private readonly settings: RevocationFeedSettings,
  ) {
    this.#monotonicMs = settings.monotonicMs ?? (() => performance.now());
  }

  async current(): Promise<SignedRevocationFeed> {
    const { kid, privateKey } = await this.keys.signingKey();
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const cached = this.#cached;
    if (cached && cached.kid === kid && iat - cached.iat < this.settings.lifetimeSeconds / 2) {
      if (cached.feed.version === this.state.version || this.#monotonicMs() < cached.nextVersionAtMs) return cached.feed;
    }
    const started = this.#monotonicMs();
    const { version, sids, subs } = this.state.window();
    const jwt = this.#sign(kid, privateKey)({ iss: this.settings.issuer, iat, exp: iat + this.settings.lifetimeSeconds, version, sids, subs });
    const finished = this.#monotonicMs();
    const took = finished - started;
    const feed = { version, jwt };
    this.#cached = { feed, kid, iat, nextVersionAtMs: took >= SLOW_BUILD_MS ? finished + SLOW_BUILD_SPACING * took : finished };
    return feed;
  }
}
