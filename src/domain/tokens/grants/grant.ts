import type { Client, GrantType } from '../../clients/client.js';
import type { TokenResponse } from '../token-response.js';

export interface GrantRequest {
  /** Already authenticated, and allowed this grant type. */
  readonly client: Client;
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** The thumbprint of the key of the request's verified DPoP proof (RFC 9449 §4.3), if it sent one. */
  readonly dpopJkt?: string;
}

/** One grant type's handling at the token endpoint (RFC 6749 §4–6). */
export type Grant = (request: GrantRequest) => Promise<TokenResponse>;

export type GrantTable = Partial<Record<GrantType, Grant>>;
