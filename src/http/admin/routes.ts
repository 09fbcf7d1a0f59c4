import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../domain/audit.js';
import type { Clock } from '../../domain/clock.js';
import { AppError } from '../../domain/errors.js';
import type { Devices } from '../../domain/sessions/devices.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { revokedSchema, userIdParams } from '../accounts/schemas.js';
import { principalOf } from '../auth/plugin.js';

export interface AdminRoutesOptions {
  accounts: Accounts;
  devices: Devices;
  audit: AuditLog;
  clock: Clock;
}

// Admin power is checked against a live login every time, not just a token's claims.
const adminOnly = { auth: 'session-or-bearer', role: 'admin' } as const;

/** Administration of other users' access. */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions) {
  app.post<{ Params: { id: string } }>(
    '/v1/admin/users/:id/revoke',
    { config: adminOnly, schema: { params: userIdParams, response: { 200: revokedSchema } } },
    async (request) => {
      const principal = principalOf(request);
      if (!(await options.accounts.exists(request.params.id))) throw new AppError('not_found', 'No such user.');
      const revoked = await options.devices.revokeAll(request.params.id, 'admin_revoked');
      await options.audit.record({
        type: 'user_revoked',
        userId: request.params.id,
        ip: request.ip,
        detail: { by: principal.userId, browser_sessions: revoked.browserSessions, token_families: revoked.tokenFamilies },
        at: options.clock.now(),
      });
      return { browser_sessions: revoked.browserSessions, token_families: revoked.tokenFamilies };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/admin/users/:id/disable',
    { config: adminOnly, schema: { params: userIdParams, response: { 200: revokedSchema } } },
    async (request) => {
      const principal = principalOf(request);
      await options.accounts.disable(request.params.id, { ip: request.ip, actorId: principal.userId });
      // Disabled first, so no login can start between the revocation and the flag.
      const revoked = await options.devices.revokeAll(request.params.id, 'user_disabled');
      return { browser_sessions: revoked.browserSessions, token_families: revoked.tokenFamilies };
    },
  );
}
