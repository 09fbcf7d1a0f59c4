import type { Client } from '../clients/client.js';
import type { RevocableToken } from '../revocations/revocation.js';
import type { AccessTokenClaims } from './access-token.js';
import type { TokenResponse } from './token-response.js';

export interface StartLogin {
  readonly userId: string;
  readonly email: string;
  readonly roles: readonly string[];
  readonly client: Client;
  /** Already checked against the client's scopes. */
  readonly scope: string;
  readonly userAgent?: string;
  readonly ip?: string;
  /** Logins made through the browser (the authorization-code grant) carry these. */
  readonly browserLogin?: BrowserLogin;
  /**
   * The key of the request's DPoP proof: the access token is bound to it, and
   * a public client's refresh family too (RFC 9449 §5; a confidential
   * client's refresh token is already bound to its authentication).
   */
  readonly dpopJkt?: string;
  /** How an app login authenticated (RFC 8176: `pwd`, `otp`); browser logins carry theirs in `browserLogin`. */
  readonly amr?: readonly string[];
}

export interface BrowserLogin {
  /** Fixed when the code was issued, so a replayed code names the family to revoke. */
  readonly familyId: string;
  readonly browserSessionId: string;
  readonly authTime: Date;
  readonly amr: readonly string[];
  /** offline_access was granted: a refresh token is issued (OIDC Core §11). Otherwise the login lasts as long as its access token. */
  readonly offline: boolean;
}

/** A login family as the device list shows it (never a token). */
export interface LoginFamilySummary {
  readonly id: string;
  readonly clientId: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly userAgent: string | null;
  readonly ip: string | null;
}

export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'password_changed'
  | 'admin_revoked'
  | 'user_disabled'
  | 'session_ended'
  | 'token_revoked'
  | 'refresh_token_reuse'
  | 'authorization_code_reuse'
  | 'consent_revoked';

/**
 * What the accounts and session code may ask of the token machinery: start a
 * login, check and revoke logins. The implementation lives in tokens/ and is
 * exposed on the app as `app.tokens`.
 */
export interface TokenServices {
  /** Verifies offline (signature, alg, iss, aud, exp with skew); throws AppError('unauthenticated') otherwise. */
  verifyAccessToken(token: string): Promise<AccessTokenClaims>;
  /** True when the token's login (`sid`) or subject was revoked: answered from memory, kept current by notifications. */
  isRevoked(token: RevocableToken): boolean;
  /** Creates a refresh family and answers the first access and refresh tokens. */
  startLogin(input: StartLogin): Promise<TokenResponse>;
  revokeLogin(sid: string, reason: RevocationReason): Promise<boolean>;
  /** Revokes every live family of the user, except `exceptSid` when given; answers how many. */
  revokeUserLogins(userId: string, reason: RevocationReason, exceptSid?: string): Promise<number>;
  listUserLogins(userId: string): Promise<LoginFamilySummary[]>;
  /** Ends the logins a browser session authorized, as that session ends (each through revokeLogin). */
  revokeBrowserSessionLogins(browserSessionId: string, reason: RevocationReason): Promise<number>;
  /** The same user signed in again in the same browser: the new session takes over what the old one authorized. */
  moveBrowserSessionLogins(fromSessionId: string, toSessionId: string): Promise<void>;
}
