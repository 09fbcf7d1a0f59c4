export type TokenType = 'Bearer' | 'DPoP';

export const tokenTypeFor = (jkt: string | undefined): TokenType => (jkt ? 'DPoP' : 'Bearer');

/** RFC 6749 §5.1 successful token response. */
export interface TokenResponse {
  readonly access_token: string;
  /** `DPoP` when the access token is bound to a DPoP key (RFC 9449 §5). */
  readonly token_type: TokenType;
  readonly expires_in: number;
  readonly refresh_token?: string;
  readonly scope: string;
  /** OIDC Core §3.1.3.3, when the scope holds `openid`. */
  readonly id_token?: string;
}
