import type { TokenServices } from '../tokens/token-services.js';
import type { Consent, ConsentStore } from './consent-store.js';

/** The user's own view of the applications they allowed, and taking that back. */
export class Consents {
  constructor(
    private readonly store: ConsentStore,
    private readonly tokens: TokenServices,
  ) {}

  list(userId: string): Promise<Consent[]> {
    return this.store.list(userId);
  }

  /**
   * Forgets the consent and ends every login the client holds for the user,
   * through TokenServices so revocation push and feed see it. False when
   * there was no such consent.
   */
  async revoke(userId: string, clientId: string): Promise<boolean> {
    if (!(await this.store.revoke(userId, clientId))) return false;
    const logins = await this.tokens.listUserLogins(userId);
    for (const login of logins.filter((family) => family.clientId === clientId)) await this.tokens.revokeLogin(login.id, 'consent_revoked');
    return true;
  }
}
