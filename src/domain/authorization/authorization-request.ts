import type { Client } from '../clients/client.js';
import { AppError } from '../errors.js';
import { grantScope } from '../tokens/scope.js';
import { isRegisteredRedirectUri } from './redirect-uri.js';

/** A validated authorization request (RFC 6749 §4.1.1, PKCE RFC 7636 §4.3, OIDC Core §3.1.2.1). */
export interface AuthorizationRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly state?: string;
  readonly nonce?: string;
  readonly codeChallenge: string;
  readonly prompt: readonly Prompt[];
  readonly maxAge?: number;
  readonly loginHint?: string;
  /** RFC 9449 §10: the thumbprint of the DPoP key the code exchange must prove. */
  readonly dpopJkt?: string;
  /** OIDC Core §3.1.2.1 `acr_values`, as sent (docs/mfa.md: the multi-factor policy asks for a second factor). */
  readonly acrValues?: string;
}

export type Prompt = 'none' | 'login' | 'consent';

/** Where errors about a request may be sent: only once client and redirect_uri are known good. */
export interface RedirectTarget {
  readonly client: Client;
  readonly redirectUri: string;
  readonly state?: string;
}

type Parameters = Readonly<Record<string, string | undefined>>;

const PROMPTS = new Set<string>(['none', 'login', 'consent']);
// RFC 7636 §4.2: BASE64URL(SHA-256(verifier)) is exactly 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
// An RFC 7638 SHA-256 thumbprint, base64url: 43 characters too.
const JWK_THUMBPRINT = S256_CHALLENGE;
const MAX_PARAMETER_LENGTH = 2048;

/**
 * The client and redirect URI of a request. Any failure here is shown to the
 * user, never redirected (RFC 6749 §4.1.2.1): an unknown client or an
 * unregistered URI would make this endpoint an open redirector.
 */
export function redirectTargetOf(params: Parameters, findClient: (clientId: string) => Client | undefined): RedirectTarget {
  const client = params.client_id ? findClient(params.client_id) : undefined;
  if (!client || !client.grantTypes.includes('authorization_code')) throw new AppError('bad_request', 'The application that sent you here is not registered.');
  const redirectUri = params.redirect_uri;
  if (!redirectUri || !isRegisteredRedirectUri(redirectUri, client.redirectUris)) {
    throw new AppError('bad_request', 'The application sent you here with a return address it has not registered.');
  }
  return { client, redirectUri, ...(params.state !== undefined ? { state: params.state } : {}) };
}

/**
 * The rest of the request, once the redirect target is trusted; failures are
 * AppErrors with an RFC 6749 §4.1.2.1 code, to be sent to the redirect URI.
 */
export function parseAuthorizationRequest(params: Parameters, target: RedirectTarget): AuthorizationRequest {
  for (const value of Object.values(params)) {
    if (value !== undefined && value.length > MAX_PARAMETER_LENGTH) throw new AppError('invalid_request', 'A parameter is too long.');
  }
  if (params.request !== undefined || params.request_uri !== undefined) {
    throw new AppError('request_not_supported', 'Request objects are not supported.');
  }
  if (params.response_type !== 'code') throw new AppError('unsupported_response_type', 'Only response_type=code is supported.');
  if (params.response_mode !== undefined && params.response_mode !== 'query') {
    throw new AppError('invalid_request', 'Only response_mode=query is supported.');
  }
  // PKCE for every client, S256 only (RFC 9700 §2.1.1): `plain` protects nothing once the request is seen.
  if (!params.code_challenge) throw new AppError('invalid_request', 'code_challenge is required (PKCE, S256).');
  if (params.code_challenge_method !== 'S256') throw new AppError('invalid_request', 'code_challenge_method must be S256.');
  if (!S256_CHALLENGE.test(params.code_challenge)) throw new AppError('invalid_request', 'code_challenge is not a S256 challenge.');
  const prompt = (params.prompt ?? '').split(' ').filter(Boolean);
  if (prompt.some((value) => !PROMPTS.has(value))) throw new AppError('invalid_request', 'prompt holds an unknown value.');
  if (prompt.includes('none') && prompt.length > 1) throw new AppError('invalid_request', 'prompt=none cannot be combined (OIDC Core §3.1.2.1).');
  let maxAge: number | undefined;
  if (params.max_age !== undefined) {
    if (!/^\d{1,9}$/.test(params.max_age)) throw new AppError('invalid_request', 'max_age must be a number of seconds.');
    maxAge = Number(params.max_age);
  }
  if (params.dpop_jkt !== undefined && !JWK_THUMBPRINT.test(params.dpop_jkt)) throw new AppError('invalid_request', 'dpop_jkt is not a SHA-256 JWK thumbprint.');
  const scope = grantScope(params.scope, target.client.scopes);
  return {
    clientId: target.client.clientId,
    redirectUri: target.redirectUri,
    scope,
    ...(target.state !== undefined ? { state: target.state } : {}),
    ...(params.nonce !== undefined ? { nonce: params.nonce } : {}),
    codeChallenge: params.code_challenge,
    prompt: prompt as Prompt[],
    ...(maxAge !== undefined ? { maxAge } : {}),
    ...(params.login_hint !== undefined ? { loginHint: params.login_hint } : {}),
    ...(params.dpop_jkt !== undefined ? { dpopJkt: params.dpop_jkt } : {}),
    ...(params.acr_values !== undefined ? { acrValues: params.acr_values } : {}),
  };
}
