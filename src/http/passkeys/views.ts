import type { PasskeyView } from '../../domain/passkeys/passkey.js';

export const passkeyJson = (passkey: PasskeyView) => ({
  id: passkey.id,
  name: passkey.name,
  created_at: passkey.createdAt.toISOString(),
  last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
  synced: passkey.synced,
  backed_up: passkey.backedUp,
  transports: [...passkey.transports],
  aaguid: passkey.aaguid,
});
