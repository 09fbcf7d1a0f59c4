import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../domain/audit.js';
import type { Clock } from '../../domain/clock.js';
import type { BrowserSession } from '../../domain/sessions/browser-session.js';
import type { Device, Devices, RevokedCounts } from '../../domain/sessions/devices.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { principalOf } from '../auth/plugin.js';
import { currentLogin } from '../auth/principal.js';
import type { BrowserSessions } from '../session/browser-sessions.js';

export interface SelfServiceDeps {
  accounts: Accounts;
  devices: Devices;
  sessions: BrowserSessions;
  audit: AuditLog;
  clock: Clock;
}

/** What a password change leaves the caller with: the browser session it continues under (cookie callers). */
export interface PasswordChanged {
  readonly session: BrowserSession | undefined;
}

/** What ending one device did: its kind, and whether it was the login the request came with (now signed out). */
export interface DeviceEnded {
  readonly kind: Device['kind'];
  readonly signedOut: boolean;
}

/**
 * The steps of the signed-in user's own account actions, shared by the JSON
 * API (`/v1/me`) and the account page (`/account`) so both end logins, renew
 * sessions and write the audit trail alike. Each acts on the request's
 * principal; a cookie caller's session (and cookie) follows.
 */
export class SelfService {
  constructor(private readonly deps: SelfServiceDeps) {}

  async changePassword(request: FastifyRequest, input: { currentPassword: string; newPassword: string }): Promise<PasswordChanged> {
    const principal = principalOf(request);
    await this.deps.accounts.changePassword(principal.userId, input.currentPassword, input.newPassword, { ip: request.ip, clientId: principal.clientId });
    // Everyone else holding the old password's logins is out; this login stays.
    await this.deps.devices.revokeAll(principal.userId, 'password_changed', currentLogin(principal));
    // A privilege change: the session continues under a new id (and CSRF token), the old id is dead.
    return { session: principal.method === 'session' ? await this.deps.sessions.renew(request) : undefined };
  }

  /** Undefined when the user has no such device. */
  async endDevice(request: FastifyRequest, reply: FastifyReply, id: string): Promise<DeviceEnded | undefined> {
    const principal = principalOf(request);
    const kind = await this.deps.devices.end(principal.userId, id, { ip: request.ip });
    if (!kind) return undefined;
    // Ending the session this request came with also clears its cookie.
    const signedOut = kind === 'browser' && principal.method === 'session' && principal.sid === id;
    if (signedOut) await this.deps.sessions.end(request, reply);
    return { kind, signedOut };
  }

  async logoutEverywhere(request: FastifyRequest, reply: FastifyReply): Promise<RevokedCounts> {
    const principal = principalOf(request);
    const revoked = await this.deps.devices.revokeAll(principal.userId, 'logout_all');
    if (principal.method === 'session') await this.deps.sessions.end(request, reply);
    await this.deps.audit.record({
      type: 'logout_all',
      userId: principal.userId,
      ip: request.ip,
      detail: { browser_sessions: revoked.browserSessions, token_families: revoked.tokenFamilies },
      at: this.deps.clock.now(),
    });
    return revoked;
  }
}
