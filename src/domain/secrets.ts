import { hkdfSync } from 'node:crypto';

/**
 * Everything the service keeps secret derives from one 32-byte master key
 * (KEY_ENCRYPTION_KEY), each purpose under its own HKDF label (RFC 5869), so
 * one subkey leaking says nothing about another.
 */
export type SecretPurpose =
  | 'signing-key-wrap'
  | 'refresh-successor'
  | 'session-cookie'
  | 'dpop-nonce'
  // Second factors (docs/mfa.md): TOTP secrets are sealed, recovery codes keyed-hashed.
  | 'totp-secret'
  | 'recovery-code';

export function deriveSubkey(masterKey: Buffer, purpose: SecretPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `identity-service/${purpose}`, 32));
}
