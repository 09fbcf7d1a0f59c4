import type { FastifyInstance } from 'fastify';
import type { MfaLoginStep } from '../../domain/mfa/login-step.js';
import type { Passkeys } from '../../domain/passkeys/passkeys.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { Accounts } from '../../domain/users/accounts.js';
import type { RateLimit } from '../accounts/rate-limits.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { passkeyAssetRoutes } from './assets.js';
import { passkeyMeRoutes } from './me-routes.js';
import { passkeyPageRoutes } from './page-routes.js';
import { passkeySignInRoutes } from './sign-in-routes.js';

export interface PasskeysPluginOptions {
  passkeys: Passkeys;
  accounts: Accounts;
  sessions: BrowserSessions;
  tokens: Pick<TokenServices, 'moveBrowserSessionLogins'>;
  /** The second step after a password (docs/mfa.md), which a passkey can complete. */
  loginStep: MfaLoginStep;
  /** Per client IP, on the sign-in routes. */
  limitSignIn: RateLimit;
  issuer: string;
}

/** Passkeys (WebAuthn): the user's own credentials, signing in with one, the account page and the scripts the pages load. */
export async function passkeysPlugin(app: FastifyInstance, options: PasskeysPluginOptions) {
  await app.register(passkeyAssetRoutes);
  await app.register(passkeyMeRoutes, options);
  await app.register(passkeySignInRoutes, { ...options, limit: options.limitSignIn });
  await app.register(passkeyPageRoutes, options);
}
