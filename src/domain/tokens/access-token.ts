/** RFC 9068 access-token claims as this service issues them. */
export interface AccessTokenClaims {
  readonly iss: string;
  /** User id, or the client id for client credentials. */
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  /** Space-separated (RFC 6749 §3.3). */
  readonly scope: string;
  /** The login (refresh family) the token descends from; user tokens only. */
  readonly sid?: string;
  readonly roles?: readonly string[];
  /**
   * The account's email (user tokens only), so `GET /v1/me` and resource
   * servers answer who the user is without a lookup. Tokens are readable by
   * their client, which learns this address from /v1/me anyway.
   */
  readonly email?: string;
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to; only that key's proofs may present it. */
  readonly cnf?: { readonly jkt: string };
  /** RFC 8176 methods of the login (`pwd`, `otp`…), so a resource server can demand a second factor. */
  readonly amr?: readonly string[];
}
