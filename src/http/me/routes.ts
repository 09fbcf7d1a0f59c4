import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Devices } from '../../domain/sessions/devices.js';
import type { Accounts } from '../../domain/users/accounts.js';
import type { AuditLog } from '../../domain/audit.js';
import type { Clock } from '../../domain/clock.js';
import { passwordSchema, revokedSchema, userSchema } from '../accounts/schemas.js';
import { activeUserOf, principalOf } from '../auth/plugin.js';
import { currentLogin, type Principal } from '../auth/principal.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import type { ClientRegistry } from '../../domain/clients/client.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { AccountLifecycle } from '../../domain/users/account-lifecycle.js';
import { tokenResponseSchema } from '../oauth/schemas.js';

export interface MeRoutesOptions {
  accounts: Accounts;
  devices: Devices;
  sessions: BrowserSessions;
  audit: AuditLog;
  clock: Clock;
  /** The realm of the Bearer challenge (RFC 6750 §3). */
  issuer: string;
  /** The "your password was changed" notice. */
  lifecycle: AccountLifecycle;
  /** A bearer caller's fresh login after a password change. */
  clients: ClientRegistry;
  tokens: Pick<TokenServices, 'startLogin'>;
}

const deviceSchema = {
  type: 'object',
  required: ['id', 'kind', 'created_at', 'last_used_at', 'client_id', 'user_agent', 'ip', 'current'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['browser', 'token'] },
    created_at: { type: 'string', format: 'date-time' },
    last_used_at: { type: 'string', format: 'date-time' },
    client_id: { type: ['string', 'null'] },
    user_agent: { type: ['string', 'null'] },
    ip: { type: ['string', 'null'] },
    current: { type: 'boolean' },
  },
} as const;

// Every route here refuses a Bearer token whose login was revoked (the auth
// layer's in-memory check, docs/revocation.md), the profile read included.
const signedIn = { auth: 'session-or-bearer' } as const;

/** The signed-in user's own account: profile, devices, logout everywhere, password. */
export async function meRoutes(app: FastifyInstance, options: MeRoutesOptions) {
  const { accounts, sessions } = options;

  app.get('/v1/me', { config: signedIn, schema: { response: { 200: userSchema } } }, async (request) => {
    const { userId, email, roles } = principalOf(request);
    // The principal already names the account: the hook loaded it for a session, and a Bearer token answers
    // for itself, offline, as at every resource server (no lookup on the busiest route of a mobile app).
    // Only a token minted before tokens carried `email` needs the account read.
    if (email !== null) return { id: userId, email, roles };
    const user = await activeUserOf(request, accounts);
    if (!user) throw new AppError('unauthenticated', 'The account is no longer active.', { headers: { 'www-authenticate': `Bearer realm="${options.issuer}", error="invalid_token"` } });
    return { id: user.id, email: user.email, roles: user.roles };
  });

  app.get(
    '/v1/me/sessions',
    { config: signedIn, schema: { response: { 200: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: deviceSchema } } } } } },
    async (request) => {
      const principal = principalOf(request);
      const devices = await options.devices.list(principal.userId, currentLogin(principal));
      return {
        sessions: devices.map((device) => ({
          id: device.id,
          kind: device.kind,
          created_at: device.createdAt.toISOString(),
          last_used_at: device.lastUsedAt.toISOString(),
          client_id: device.clientId,
          user_agent: device.userAgent,
          ip: device.ip,
          current: device.current,
        })),
      };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/me/sessions/:id',
    { config: signedIn, schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const kind = await options.devices.end(principal.userId, request.params.id, { ip: request.ip });
      if (!kind) throw new AppError('not_found', 'You have no such session.');
      // Ending the session this request came with also clears its cookie.
      if (kind === 'browser' && principal.method === 'session' && principal.sid === request.params.id) await sessions.end(request, reply);
      return reply.code(204).send();
    },
  );

  app.post('/v1/me/logout-all', { config: signedIn, schema: { response: { 200: revokedSchema } } }, async (request, reply) => {
    const principal = principalOf(request);
    const revoked = await options.devices.revokeAll(principal.userId, 'logout_all');
    if (principal.method === 'session') await sessions.end(request, reply);
    await options.audit.record({
      type: 'logout_all',
      userId: principal.userId,
      ip: request.ip,
      detail: { browser_sessions: revoked.browserSessions, token_families: revoked.tokenFamilies },
      at: options.clock.now(),
    });
    return { browser_sessions: revoked.browserSessions, token_families: revoked.tokenFamilies };
  });

  /** What a bearer caller's fresh login is made for: the same client and scope. */
  const bearerRenewal = (principal: Principal) => {
    const client = principal.clientId ? options.clients.find(principal.clientId) : undefined;
    if (!client || principal.scope === null) throw new AppError('unauthenticated', 'The client of this access token is no longer registered; sign in again.');
    return { client, scope: principal.scope };
  };

  app.post<{ Body: { current_password: string; new_password: string } }>(
    '/v1/me/password',
    {
      config: signedIn,
      schema: {
        body: {
          type: 'object',
          required: ['current_password', 'new_password'],
          additionalProperties: false,
          properties: { current_password: passwordSchema, new_password: passwordSchema },
        },
        // A cookie caller gets the new session's CSRF token (its cookie is set too); a bearer caller a new token response.
        response: { 200: { type: 'object', properties: { csrf_token: { type: 'string' }, tokens: tokenResponseSchema } } },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      // Looked up first: a bearer caller whose client is gone would otherwise lose every login and get none back.
      const renewal = principal.method === 'bearer' ? bearerRenewal(principal) : undefined;
      const user = await accounts.changePassword(principal.userId, request.body.current_password, request.body.new_password, {
        ip: request.ip,
        clientId: principal.clientId,
      });
      // Every login made with the old password ends, this one included (a thief who changed it from a stolen
      // session keeps nothing the old password opened); the caller continues on a fresh login made now.
      await options.devices.revokeAll(principal.userId, 'password_changed');
      await options.lifecycle.passwordChanged(user);
      reply.header('cache-control', 'no-store');
      if (!renewal) {
        const session = await sessions.signIn(request, user.id);
        return { csrf_token: session.csrfToken };
      }
      const tokens = await options.tokens.startLogin({
        userId: user.id,
        email: user.email,
        roles: user.roles,
        ...renewal,
        ip: request.ip,
        ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
        ...(principal.dpopJkt ? { dpopJkt: principal.dpopJkt } : {}),
      });
      return { tokens };
    },
  );
}
