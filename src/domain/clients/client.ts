export type GrantType = 'refresh_token' | 'client_credentials' | 'authorization_code';

/** An OAuth client as the service holds it: a confidential client's secret only as a keyed hash. */
export interface Client {
  readonly clientId: string;
  readonly type: 'public' | 'confidential';
  /** First-party public clients may use the password login (`POST /v1/auth/login`). */
  readonly firstParty: boolean;
  readonly grantTypes: readonly GrantType[];
  readonly redirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly audience: string;
  /** HMAC of the secret under a per-process key; absent for public clients. */
  readonly secretHash?: Buffer;
  // Per-client settings of the authorization-code flow; unset lifetimes fall back to the service's.
  /** Unset: a confidential client may use either secret method. */
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  readonly postLogoutRedirectUris: readonly string[];
  readonly accessTokenTtlSeconds?: number;
  readonly refreshTokenTtlSeconds?: number;
  readonly refreshIdleTtlSeconds?: number;
  /** Token requests without a DPoP proof are refused (RFC 9449 §5.2). */
  readonly requireDpop?: boolean;
  /** Every login for this client needs a second factor (docs/mfa.md). */
  readonly requireMfa?: boolean;
}

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface ClientRegistry {
  find(clientId: string): Client | undefined;
  all(): readonly Client[];
}

export function clientRegistry(clients: readonly Client[]): ClientRegistry {
  const byId = new Map(clients.map((client) => [client.clientId, client]));
  return { find: (clientId) => byId.get(clientId), all: () => clients };
}
