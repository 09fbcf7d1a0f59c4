import { VerifierError } from './errors.js';
import { fetchJson, type Fetch } from './http.js';

export interface IssuerMetadata {
  issuer: string;
  jwks_uri: string;
  revocation_feed_uri?: string;
  dpop_signing_alg_values_supported?: string[];
}

/**
 * OpenID Connect Discovery §4: the document at the issuer's well-known path,
 * whose `issuer` must be exactly the one configured (§4.3): otherwise a
 * document served elsewhere could point the verifier at an attacker's JWKS.
 */
export async function discover(fetch: Fetch, issuer: string, timeoutMs: number): Promise<IssuerMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const { body } = await fetchJson(fetch, url, 'discovery_failed', timeoutMs);
  const metadata = body as Partial<IssuerMetadata> | null;
  if (typeof metadata !== 'object' || metadata === null) throw new VerifierError('discovery_failed', `${url} is not a JSON object`);
  if (metadata.issuer !== issuer) throw new VerifierError('discovery_failed', `${url} names issuer ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(issuer)}`);
  if (typeof metadata.jwks_uri !== 'string') throw new VerifierError('discovery_failed', `${url} has no jwks_uri`);
  return metadata as IssuerMetadata;
}
