import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type { Client } from '../domain/clients/client.js';
import { ConfigError } from './load.js';

const clientSchema = {
  type: 'object',
  required: ['client_id', 'type', 'grant_types', 'scopes', 'audience'],
  additionalProperties: false,
  properties: {
    client_id: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' },
    type: { enum: ['public', 'confidential'] },
    first_party: { type: 'boolean', default: false },
    client_secret: { type: 'string', minLength: 32, maxLength: 512 },
    grant_types: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['refresh_token', 'client_credentials', 'authorization_code'] },
    },
    redirect_uris: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 }, default: [] },
    scopes: { type: 'array', uniqueItems: true, items: { type: 'string', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' } },
    audience: { type: 'string', minLength: 1 },
    // Per-client settings of the authorization-code flow ([oidc]).
    access_token_ttl_seconds: { type: 'integer', minimum: 60, maximum: 86400 },
    refresh_token_ttl_seconds: { type: 'integer', minimum: 3600, maximum: 31536000 },
    refresh_idle_ttl_seconds: { type: 'integer', minimum: 600, maximum: 31536000 },
    post_logout_redirect_uris: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 }, default: [] },
    token_endpoint_auth_method: { enum: ['client_secret_basic', 'client_secret_post', 'none'] },
    // RFC 9449 §5.2 (`dpop_bound_access_tokens`): every token request must carry a DPoP proof.
    require_dpop: { type: 'boolean', default: false },
    // docs/mfa.md: logins for this client need a second factor (TOTP or recovery code).
    require_mfa: { type: 'boolean', default: false },
  },
  // A public client cannot keep a secret, so it can never use client_credentials (RFC 6749 §4.4).
  // A public client authenticates with `none` only, a confidential one never.
  if: { properties: { type: { const: 'public' } } },
  then: {
    not: { required: ['client_secret'] },
    properties: { grant_types: { not: { contains: { const: 'client_credentials' } } }, token_endpoint_auth_method: { const: 'none' } },
  },
  else: { required: ['client_secret'], properties: { token_endpoint_auth_method: { enum: ['client_secret_basic', 'client_secret_post'] } } },
} as const;

export const clientsFileSchema = {
  type: 'object',
  required: ['clients'],
  properties: { clients: { type: 'array', items: clientSchema } },
} as const;

// The schemas are code, checked against the meta-schema by test/config/clients-file.test.ts rather than at every start.
const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: false, validateSchema: false });
const validateFile = ajv.compile(clientsFileSchema);
const validateClient = ajv.compile(clientSchema);

interface RawClient {
  client_id: string;
  type: 'public' | 'confidential';
  first_party: boolean;
  client_secret?: string;
  grant_types: Client['grantTypes'];
  redirect_uris: string[];
  scopes: string[];
  audience: string;
  access_token_ttl_seconds?: number;
  refresh_token_ttl_seconds?: number;
  refresh_idle_ttl_seconds?: number;
  post_logout_redirect_uris: string[];
  token_endpoint_auth_method?: Client['tokenEndpointAuthMethod'];
  require_dpop: boolean;
  require_mfa: boolean;
}

// Loaded only for a YAML file: the parser takes 30–40 ms of start-up to load, and the default file is JSON.
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

/**
 * Loads and validates CLIENTS_FILE. Errors name the file and the offending
 * entry but never echo a secret.
 */
export function loadClientsFile(file: string, hashSecret: (secret: string) => Buffer): Client[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`CLIENTS_FILE ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let document: unknown;
  try {
    document = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch {
    throw new ConfigError(`CLIENTS_FILE ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}`);
  }
  if (!validateFile(document)) {
    throw new ConfigError(`CLIENTS_FILE ${file}: ${describeInvalid(document)}`);
  }
  const raw = (document as { clients: RawClient[] }).clients;
  const seen = new Set<string>();
  return raw.map((entry, index) => {
    if (seen.has(entry.client_id)) {
      throw new ConfigError(`CLIENTS_FILE ${file}: clients[${index}] (${entry.client_id}) repeats a client_id`);
    }
    seen.add(entry.client_id);
    return {
      clientId: entry.client_id,
      type: entry.type,
      firstParty: entry.first_party,
      grantTypes: entry.grant_types,
      redirectUris: entry.redirect_uris,
      scopes: entry.scopes,
      audience: entry.audience,
      ...(entry.client_secret ? { secretHash: hashSecret(entry.client_secret) } : {}),
      postLogoutRedirectUris: entry.post_logout_redirect_uris,
      ...(entry.token_endpoint_auth_method ? { tokenEndpointAuthMethod: entry.token_endpoint_auth_method } : {}),
      ...(entry.access_token_ttl_seconds ? { accessTokenTtlSeconds: entry.access_token_ttl_seconds } : {}),
      ...(entry.refresh_token_ttl_seconds ? { refreshTokenTtlSeconds: entry.refresh_token_ttl_seconds } : {}),
      ...(entry.refresh_idle_ttl_seconds ? { refreshIdleTtlSeconds: entry.refresh_idle_ttl_seconds } : {}),
      ...(entry.require_dpop ? { requireDpop: true } : {}),
      ...(entry.require_mfa ? { requireMfa: true } : {}),
    };
  });
}

function describeInvalid(document: unknown): string {
  const clients = (document as { clients?: unknown })?.clients;
  if (!Array.isArray(clients)) return 'must be an object with a "clients" array';
  for (const [index, entry] of clients.entries()) {
    if (validateClient(entry)) continue;
    const error = validateClient.errors?.[0];
    const id = (entry as { client_id?: unknown })?.client_id;
    const name = typeof id === 'string' ? ` (${id.slice(0, 128)})` : '';
    const where = error?.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'entry';
    // The public and confidential branches fail with "must NOT be valid" or "must be equal to constant", which say nothing useful.
    const inBranch = error !== undefined && /^#\/(then|else)\//.test(error.schemaPath) && error.keyword !== 'required';
    const branch = error?.keyword === 'if' || inBranch;
    const what = branch ? 'violates the public/confidential rules' : (error?.message ?? 'is invalid');
    return `clients[${index}]${name}: ${where} ${what}`;
  }
  return 'is invalid';
}
