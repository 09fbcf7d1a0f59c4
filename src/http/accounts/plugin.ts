import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../domain/audit.js';
import type { ClientRegistry } from '../../domain/clients/client.js';
import type { Clock } from '../../domain/clock.js';
import { Devices } from '../../domain/sessions/devices.js';
import type { DpopProofs } from '../../domain/tokens/dpop/dpop-proofs.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { Accounts } from '../../domain/users/accounts.js';
import type { AccountLifecycle } from '../../domain/users/account-lifecycle.js';
import type { UserAdministration } from '../../domain/users/administration.js';
import type { Config } from '../../config/index.js';
import type { KeyService } from '../../domain/keys/key-service.js';
import type { MfaLoginStep } from '../../domain/mfa/login-step.js';
import type { SecondFactors } from '../../domain/mfa/second-factors.js';
import type { TotpFactor } from '../../domain/mfa/totp-factor.js';
import type { Passkeys } from '../../domain/passkeys/passkeys.js';
import { keyAdminRoutes } from '../admin/key-routes.js';
import { accountPageRoutes } from '../account/routes.js';
import { adminRoutes } from '../admin/routes.js';
import { authorizationPlugin, type AuthorizationPluginOptions } from '../authorize/plugin.js';
import { meRoutes } from '../me/routes.js';
import { passkeysPlugin } from '../passkeys/plugin.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { sessionPlugin } from '../session/plugin.js';
import { reauthRoute } from '../session/reauth-route.js';
import { sessionRoutes } from '../session/routes.js';
import { mfaEnrolmentRoutes } from '../mfa/enrolment-routes.js';
import { appMfaLoginRoutes } from '../mfa/app-login-routes.js';
import { securityPageRoutes } from '../mfa/security-page-routes.js';
import { loginRateLimit, perIpRateLimit, signupRateLimit } from './rate-limits.js';
import { lifecycleRoutes } from './lifecycle-routes.js';
import { accountRoutes } from './routes.js';

export interface AccountsPluginOptions {
  config: Config;
  clock: Clock;
  accounts: Accounts;
  audit: AuditLog;
  sessions: BrowserSessions;
  cookieSecret: Buffer;
  clients: ClientRegistry;
  tokens: TokenServices;
  keys: KeyService;
  dpop: DpopProofs;
  /** Email verification, password reset and their mail (docs/accounts.md). */
  lifecycle: AccountLifecycle;
  administration: UserAdministration;
  passkeys: Passkeys;
  /** The OpenID Connect browser surface, which runs on the session cookie too. */
  oidc: Omit<AuthorizationPluginOptions, 'accounts' | 'sessions' | 'clients' | 'tokens' | 'audit' | 'clock'>;
  /** Second factors (docs/mfa.md). */
  mfa: { totp: TotpFactor; factors: SecondFactors; loginStep: MfaLoginStep };
}

/**
 * Accounts and browser sessions: the session cookie, sign-up and login, the
 * login page, the user's own devices and the admin routes. Encapsulated, so
 * the cookie and session hooks run for these routes only, never for the JWKS,
 * the OAuth endpoints or the probes.
 */
export async function accountsPlugin(app: FastifyInstance, options: AccountsPluginOptions) {
  const { config, clock, accounts, audit, sessions } = options;
  const rates = { perIp: config.login.ratePerMinute, perAccount: config.login.accountRatePerMinute };
  const devices = new Devices({ sessions: sessions.store, tokens: options.tokens, audit, clock });
  // The first login should not pay for computing the dummy hash. It runs on the threadpool while the
  // routes register and compile, and readiness waits for it, so a failure still stops the start; the
  // empty handler only keeps it from counting as unhandled until then.
  const warmedUp = accounts.warmUp();
  warmedUp.catch(() => {});
  app.addHook('onReady', () => warmedUp);

  await app.register(sessionPlugin, { sessions, cookieSecret: options.cookieSecret });
  // One limiter for both login endpoints: an attacker cannot double the budget by alternating them.
  const limitLogin = loginRateLimit(app, rates);
  const limitSignup = signupRateLimit(app, rates.perIp);
  // Every route that takes a second-factor code (besides the per-account lockout, which counts wrong codes).
  const limitCodes = perIpRateLimit(app, 'mfa', rates.perIp);
  await app.register(accountRoutes, { accounts, lifecycle: options.lifecycle, clients: options.clients, tokens: options.tokens, signupEnabled: config.accounts.signupEnabled, limitLogin, limitSignup, dpop: options.dpop, issuer: config.issuer, mfa: options.mfa.loginStep });
  await app.register(sessionRoutes, { accounts, sessions, audit, clock, issuer: config.issuer, limitLogin, tokens: options.tokens, mfa: { loginStep: options.mfa.loginStep, limitCodes } });
  await app.register(authorizationPlugin, { ...options.oidc, accounts, sessions, clients: options.clients, tokens: options.tokens, audit, clock });
  const selfService = { accounts, devices, sessions, audit, clock, lifecycle: options.lifecycle, clients: options.clients, tokens: options.tokens };
  await app.register(meRoutes, { ...selfService, issuer: config.issuer });
  await app.register(accountPageRoutes, { ...selfService, consents: options.oidc.consents });
  const { ratePerMinute, accountRatePerHour } = config.accountLifecycle;
  await app.register(lifecycleRoutes, { lifecycle: options.lifecycle, devices, sessions, rates: { perIp: ratePerMinute, perAccountPerHour: accountRatePerHour } });
  await app.register(reauthRoute, { accounts, sessions, clock, tokens: options.tokens, windowSeconds: config.admin.reauthSeconds });
  await app.register(adminRoutes, { administration: options.administration, devices, sessions, tokens: options.tokens, clock, reauthSeconds: config.admin.reauthSeconds });
  await app.register(keyAdminRoutes, { keys: options.keys });
  await app.register(mfaEnrolmentRoutes, { accounts, totp: options.mfa.totp, factors: options.mfa.factors, limitCodes });
  await app.register(securityPageRoutes, { accounts, sessions, totp: options.mfa.totp, limitCodes });
  await app.register(appMfaLoginRoutes, { accounts, clients: options.clients, tokens: options.tokens, dpop: options.dpop, loginStep: options.mfa.loginStep, limitCodes, issuer: config.issuer });
  await app.register(passkeysPlugin, {
    passkeys: options.passkeys,
    accounts,
    sessions,
    tokens: options.tokens,
    loginStep: options.mfa.loginStep,
    limitSignIn: perIpRateLimit(app, 'passkey', rates.perIp),
    issuer: config.issuer,
  });
}
