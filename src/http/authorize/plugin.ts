import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../domain/audit.js';
import type { Authorization } from '../../domain/authorization/authorize.js';
import type { Consents } from '../../domain/authorization/consents.js';
import type { ClientRegistry } from '../../domain/clients/client.js';
import type { Clock } from '../../domain/clock.js';
import type { IdTokens } from '../../domain/tokens/id-tokens.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { Accounts } from '../../domain/users/accounts.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { consentRoutes } from './consent-routes.js';
import { logoutRoute } from './logout-route.js';
import { authorizeRoutes } from './routes.js';
import { userinfoRoute } from './userinfo-route.js';

export interface AuthorizationPluginOptions {
  authorization: Authorization;
  consents: Consents;
  idTokens: IdTokens;
  issuer: string;
  accounts: Accounts;
  sessions: BrowserSessions;
  clients: ClientRegistry;
  tokens: TokenServices;
  audit: AuditLog;
  clock: Clock;
}

/** OpenID Connect: the authorization endpoint and consent, userinfo, RP-initiated logout, the user's consents. */
export async function authorizationPlugin(app: FastifyInstance, options: AuthorizationPluginOptions) {
  await app.register(authorizeRoutes, options);
  await app.register(logoutRoute, options);
  await app.register(consentRoutes, options);
  await app.register(userinfoRoute, options);
}
