import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Device, Devices } from '../../domain/sessions/devices.js';
import type { Accounts } from '../../domain/users/accounts.js';
import type { AuditLog } from '../../domain/audit.js';
import type { Clock } from '../../domain/clock.js';
import { passwordSchema, revokedSchema, userSchema } from '../accounts/schemas.js';
import { activeUserOf, principalOf } from '../auth/plugin.js';
import { currentLogin, type Principal } from '../auth/principal.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { tokenResponseSchema } from '../oauth/schemas.js';
import { SelfService, type SelfServiceDeps } from './self-service.js';

export interface MeRoutesOptions extends SelfServiceDeps {
  /** The realm of the Bearer challenge (RFC 6750 §3). */
  issuer: string;
}

export const deviceSchema = {
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

/** A device as the device lists (own and admin) show it. */
export const deviceToWire = (device: Device) => ({
  id: device.id,
  kind: device.kind,
  created_at: device.createdAt.toISOString(),
  last_used_at: device.lastUsedAt.toISOString(),
  client_id: device.clientId,
  user_agent: device.userAgent,
  ip: device.ip,
  current: device.current,
});

// Every route here refuses a Bearer token whose login was revoked (the auth
// layer's in-memory check, docs/revocation.md), the profile read included.
const signedIn = { auth: 'session-or-bearer' } as const;

/** The signed-in user's own account: profile, devices, logout everywhere, password. */
export async function meRoutes(app: FastifyInstance, options: MeRoutesOptions) {
  const { accounts } = options;
  const self = new SelfService(options);

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
        sessions: devices.map(deviceToWire),
      };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/me/sessions/:id',
    { config: signedIn, schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } } },
    async (request, reply) => {
      if (!(await self.endDevice(request, reply, request.params.id))) throw new AppError('not_found', 'You have no such session.');
      return reply.code(204).send();
    },
  );

  app.post('/v1/me/logout-all', { config: signedIn, schema: { response: { 200: revokedSchema } } }, async (request, reply) => {
    const revoked = await self.logoutEverywhere(request, reply);
    return { browser_sessions: revoked.browserSessions, token_families: revoked.tokenFamilies };
  });

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
      const changed = await self.changePassword(request, { currentPassword: request.body.current_password, newPassword: request.body.new_password });
      reply.header('cache-control', 'no-store');
      return changed.tokens ? { tokens: changed.tokens } : { csrf_token: changed.session?.csrfToken };
    },
  );
}
