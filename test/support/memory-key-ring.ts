import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { KeyRing } from '../../src/domain/keys/key-ring.js';

/** A fixed in-memory key ring for unit tests of token code (the real one is tested on its own). */
export function memoryKeyRing(): KeyRing & { publicKey: KeyObject; kid: string; withdraw(): void } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = createHash('sha256').update(JSON.stringify(jwk)).digest('base64url');
  let withdrawn = false;
  return {
    kid,
    publicKey,
    withdraw: () => {
      withdrawn = true;
    },
    signingKey: async () => ({ kid, privateKey }),
    verificationKey: async (requested) => (requested === kid && !withdrawn ? publicKey : undefined),
    jwks: async () => {
      const body = JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] });
      return { body, etag: `"${kid}"` };
    },
  };
}
