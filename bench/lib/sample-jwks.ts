import { createHash, generateKeyPairSync } from 'node:crypto';

/** An ES256 key pair and a one-key JWKS of the size and shape the service publishes. */
export function sampleJwks() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = createHash('sha256').update(JSON.stringify(jwk)).digest('base64url');
  return { privateKey, publicKey, kid, jwks: { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] } };
}
