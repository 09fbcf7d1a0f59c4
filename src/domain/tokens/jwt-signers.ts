import type { KeyObject } from 'node:crypto';
import { createSigner } from 'fast-jwt';

export type SignJwt = (claims: object) => string;

/**
 * ES256 signers for one JWT `typ`, one per key, made on first use: fast-jwt
 * imports the key when its signer is made, and signs through node:crypto on
 * the calling thread (see access-tokens.ts for why not jose). The claims
 * carry iat and exp from the injected clock; fast-jwt keeps both as given.
 */
export function es256Signers(typ: string): (kid: string, privateKey: KeyObject) => SignJwt {
  const signers = new WeakMap<KeyObject, SignJwt>();
  return (kid, privateKey) => {
    let sign = signers.get(privateKey);
    if (!sign) {
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      sign = createSigner({ key: pem, algorithm: 'ES256', kid, header: { alg: 'ES256', typ } });
      signers.set(privateKey, sign);
    }
    return sign;
  };
}
