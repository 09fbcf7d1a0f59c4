/** RFC 6749 §5.1 successful token response. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token?: string;
  readonly scope: string;
  /** OIDC Core §3.1.3.3, when the scope holds `openid`. */
  readonly id_token?: string;
}
