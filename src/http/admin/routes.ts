import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { StoredAuditEvent } from '../../domain/audit-trail.js';
import type { FactorSummary } from '../../domain/mfa/second-factors.js';
import type { Clock } from '../../domain/clock.js';
import type { Devices, RevokedCounts } from '../../domain/sessions/devices.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { Actor, UserAdministration } from '../../domain/users/administration.js';
import { ROLES, type Role } from '../../domain/users/user.js';
import type { AdminUserRecord } from '../../domain/users/user-directory.js';
import { revokedSchema, userIdParams } from '../accounts/schemas.js';
import { principalOf } from '../auth/plugin.js';
import { deviceSchema, deviceToWire } from '../me/routes.js';
import { mfaStatusSchema } from '../mfa/schemas.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { requireRecentAuthentication } from './reauthentication.js';

export interface AdminRoutesOptions {
  administration: UserAdministration;
  devices: Devices;
  sessions: BrowserSessions;
  tokens: Pick<TokenServices, 'listUserLogins'>;
  clock: Clock;
  /** ADMIN_REAUTH_SECONDS. */
  reauthSeconds: number;
}

// Admin power needs a login not revoked, judged on every call (in memory, pushed by every replica), not just a token's claims.
const adminOnly = { auth: 'session-or-bearer', role: 'admin' } as const;

const instant = { type: 'string', format: 'date-time' } as const;
const maybeInstant = { type: ['string', 'null'], format: 'date-time' } as const;

const adminUserSchema = {
  type: 'object',
  required: ['id', 'email', 'roles', 'created_at', 'disabled', 'disabled_at', 'email_verified', 'email_verified_at', 'locked', 'locked_until', 'failed_login_count'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string' },
    roles: { type: 'array', items: { type: 'string', enum: [...ROLES] } },
    created_at: instant,
    disabled: { type: 'boolean' },
    disabled_at: maybeInstant,
    email_verified: { type: 'boolean' },
    email_verified_at: maybeInstant,
    locked: { type: 'boolean' },
    locked_until: maybeInstant,
    failed_login_count: { type: 'integer', minimum: 0 },
  },
} as const;

const auditEventSchema = {
  type: 'object',
  required: ['id', 'type', 'at', 'client_id', 'family_id', 'ip', 'detail'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    at: instant,
    client_id: { type: ['string', 'null'] },
    family_id: { type: ['string', 'null'] },
    ip: { type: ['string', 'null'] },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

const page = (name: string, items: object) =>
  ({ type: 'object', required: [name, 'next_cursor'], properties: { [name]: { type: 'array', items }, next_cursor: { type: ['string', 'null'] } } }) as const;

const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  cursor: { type: 'string', minLength: 1, maxLength: 512 },
} as const;

const roleParams = {
  type: 'object',
  required: ['id', 'role'],
  properties: { id: { type: 'string', format: 'uuid' }, role: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const factorsSchema = mfaStatusSchema.properties.factors;

const factorToWire = (factor: FactorSummary) => ({
  kind: factor.kind,
  id: factor.id,
  created_at: factor.createdAt.toISOString(),
  ...(factor.remaining !== undefined ? { remaining: factor.remaining } : {}),
});

const iso = (date: Date | null) => date?.toISOString() ?? null;

const revokedToWire = (revoked: RevokedCounts) => ({ browser_sessions: revoked.browserSessions, token_families: revoked.tokenFamilies });

const eventToWire = (event: StoredAuditEvent) => ({
  id: event.id,
  type: event.type,
  at: event.at.toISOString(),
  client_id: event.clientId,
  family_id: event.familyId,
  ip: event.ip,
  detail: event.detail,
});

interface ListQuery {
  email?: string;
  role?: Role;
  disabled?: boolean;
  limit: number;
  cursor?: string;
}

/** Administration of other users' accounts (docs/admin.md); the use-cases are domain/users/administration.ts. */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions) {
  const { administration, clock } = options;
  const actorOf = (request: FastifyRequest): Actor => ({ id: principalOf(request).userId, ip: request.ip });
  // Disabling, roles, forced logout, second-factor resets: worth a stolen session's while, so they need a recent password (docs/admin.md).
  const sensitive = { config: adminOnly, preHandler: requireRecentAuthentication({ ...options, windowSeconds: options.reauthSeconds }) };

  const userToWire = (user: AdminUserRecord) => ({
    id: user.id,
    email: user.email,
    roles: user.roles,
    created_at: user.createdAt.toISOString(),
    disabled: user.disabledAt !== null,
    disabled_at: iso(user.disabledAt),
    email_verified: user.emailVerifiedAt !== null,
    email_verified_at: iso(user.emailVerifiedAt),
    locked: user.lockedUntil !== null && user.lockedUntil > clock.now(),
    locked_until: iso(user.lockedUntil),
    failed_login_count: user.failedLoginCount,
  });

  app.get<{ Querystring: ListQuery }>(
    '/v1/admin/users',
    {
      config: adminOnly,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            email: { type: 'string', minLength: 1, maxLength: 320 },
            role: { type: 'string', enum: [...ROLES] },
            disabled: { type: 'boolean' },
            ...pageQuery,
          },
        },
        response: { 200: page('users', adminUserSchema) },
      },
    },
    async (request) => {
      const result = await administration.list(request.query);
      return { users: result.items.map(userToWire), next_cursor: result.nextCursor };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/admin/users/:id',
    {
      config: adminOnly,
      schema: {
        params: userIdParams,
        response: {
          200: {
            type: 'object',
            required: ['user', 'sessions', 'factors'],
            properties: { user: adminUserSchema, sessions: { type: 'array', items: deviceSchema }, factors: factorsSchema },
          },
        },
      },
    },
    async (request) => {
      const user = await administration.find(request.params.id);
      // No login of the target's is the admin's own: none is marked current.
      const [devices, factors] = await Promise.all([options.devices.list(user.id, { kind: 'browser', id: '' }), administration.factorsOf(user.id)]);
      return { user: userToWire(user), sessions: devices.map(deviceToWire), factors: factors.map(factorToWire) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/admin/users/:id/disable',
    { ...sensitive, schema: { params: userIdParams, response: { 200: revokedSchema } } },
    async (request) => revokedToWire(await administration.disable(request.params.id, actorOf(request))),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/admin/users/:id/enable',
    { ...sensitive, schema: { params: userIdParams, response: { 204: { type: 'null' } } } },
    async (request, reply) => {
      await administration.enable(request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/admin/users/:id/logout',
    { ...sensitive, schema: { params: userIdParams, response: { 200: revokedSchema } } },
    async (request) => revokedToWire(await administration.logout(request.params.id, actorOf(request))),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/admin/users/:id/mfa/reset',
    { ...sensitive, schema: { params: userIdParams, response: { 200: { type: 'object', required: ['removed'], properties: { removed: factorsSchema } } } } },
    async (request) => ({ removed: (await administration.resetSecondFactors(request.params.id, actorOf(request))).map(factorToWire) }),
  );

  const roleResponse = { type: 'object', required: ['roles', 'changed'], properties: { roles: adminUserSchema.properties.roles, changed: { type: 'boolean' } } } as const;
  for (const [method, change] of [['PUT', 'grant'], ['DELETE', 'remove']] as const) {
    app.route<{ Params: { id: string; role: string } }>({
      method,
      url: '/v1/admin/users/:id/roles/:role',
      ...sensitive,
      schema: { params: roleParams, response: { 200: roleResponse } },
      handler: async (request) => administration.changeRole(request.params.id, request.params.role, change, actorOf(request)),
    });
  }

  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>(
    '/v1/admin/users/:id/audit',
    {
      config: adminOnly,
      schema: {
        params: userIdParams,
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        response: { 200: page('events', auditEventSchema) },
      },
    },
    async (request) => {
      const result = await administration.auditOf(request.params.id, request.query);
      return { events: result.items.map(eventToWire), next_cursor: result.nextCursor };
    },
  );
}
