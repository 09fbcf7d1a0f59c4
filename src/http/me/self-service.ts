import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../domain/audit.js';
import type { Clock } from '../../domain/clock.js';
import type { ClientRegistry } from '../../domain/clients/client.js';
import { AppError } from '../../domain/errors.js';
import { authenticationOf, type BrowserSession } from '../../domain/sessions/browser-session.js';
import type { Device, Devices, RevokedCounts } from '../../domain/sessions/devices.js';
import type { TokenResponse } from '../../domain/tokens/token-response.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { AccountLifecycle } from '../../domain/users/account-lifecycle.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { principalOf } from '../auth/plugin.js';
import { currentLogin, type Principal } from '../auth/principal.js';
import type { BrowserSessions } from '../session/browser-sessions.js';

export interface SelfServiceDeps {
  accounts: Accounts;
  devices: Devices;
  sessions: BrowserSessions;
  audit: AuditLog;
  clock: Clock;
  /** Commits a password change with its "your password was changed" notice. */
  lifecycle: AccountLifecycle;
  /** A bearer caller's fresh login after a password change. */
  clients: ClientRegistry;
  tokens: Pick<TokenServices, 'startLogin'>;
}

/** The fresh login a password change leaves the caller with: a new browser session (cookie callers) or a new token response (bearer callers). */
export type PasswordChanged = { readonly session: BrowserSession; readonly tokens?: undefined } | { readonly session?: undefined; readonly tokens: TokenResponse };

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
    // Looked up first: a bearer caller whose client is gone would otherwise lose every login and get none back.
    const renewal = principal.method === 'bearer' ? this.bearerRenewal(principal) : undefined;
    const context = { ip: request.ip, clientId: principal.clientId };
    const change = await this.deps.accounts.preparePasswordChange(principal.userId, input.currentPassword, input.newPassword, context);
    const user = await this.deps.lifecycle.changePassword(change, context);
    // Every login made with the old password ends, this one included (a thief who changed it from a stolen
    // session keeps nothing the old password opened); the caller continues on a fresh login made now.
    await this.deps.devices.revokeAll(principal.userId, 'password_changed');
    if (!renewal) {
      // The new session keeps how the old one signed in (a second factor stays proven); the password was just checked.
      const previous = this.deps.sessions.current(request);
      return { session: await this.deps.sessions.signIn(request, user.id, previous ? authenticationOf(previous).amr : ['pwd'], user.roles) };
    }
    const tokens = await this.deps.tokens.startLogin({
      userId: user.id,
      email: user.email,
      roles: user.roles,
      ...renewal,
      ip: request.ip,
      ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
      ...(principal.dpopJkt ? { dpopJkt: principal.dpopJkt } : {}),
    });
    return { tokens };
  }

  /** What a bearer caller's fresh login is made for: the same client and scope. */
  private bearerRenewal(principal: Principal) {
    const client = principal.clientId ? this.deps.clients.find(principal.clientId) : undefined;
    if (!client || principal.scope === null) throw new AppError('unauthenticated', 'The client of this access token is no longer registered; sign in again.');
    return { client, scope: principal.scope };
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
