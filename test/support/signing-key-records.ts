import type { KeySettings } from '../../src/domain/keys/key-phase.js';
import type { SigningKeyRecord } from '../../src/domain/keys/signing-key.js';

/** The lifecycle the key unit tests use: 30-day rotation, 1 h pre-publication, 15.5 min retention. */
export const keySettings: KeySettings = { rotationDays: 30, prepublishSeconds: 3600, retentionSeconds: 930 };
export const DAY = 86_400;

/** A stored key with placeholder material: phase logic reads only its dates. */
export function keyRecord(kid: string, fields: Partial<SigningKeyRecord> & { activatesAt: Date }): SigningKeyRecord {
  return {
    kid,
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
    privateKeyEnc: new Uint8Array(),
    createdAt: fields.activatesAt,
    retiredAt: null,
    compromisedAt: null,
    ...fields,
  };
}
