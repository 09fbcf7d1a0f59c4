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
}

export interface ClientRegistry {
  find(clientId: string): Client | undefined;
  all(): readonly Client[];
}

export function clientRegistry(clients: readonly Client[]): ClientRegistry {
  const byId = new Map(clients.map((client) => [client.clientId, client]));
  return { find: (clientId) => byId.get(clientId), all: () => clients };
}
