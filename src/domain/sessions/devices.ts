import type { AuditLog } from '../audit.js';
import type { Clock } from '../clock.js';
import type { RevocationReason, TokenServices } from '../tokens/token-services.js';
import type { BrowserSessionStore } from './session-store.js';

/** One place a user is signed in: a browser session or a token family (a device running the app). */
export interface Device {
  readonly id: string;
  readonly kind: 'browser' | 'token';
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly clientId: string | null;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly current: boolean;
}

/** The login a request is made under: a browser session's public id, or a token family's id. */
export interface CurrentLogin {
  readonly kind: 'browser' | 'token';
  readonly id: string;
}

export interface RevokedCounts {
  readonly browserSessions: number;
  readonly tokenFamilies: number;
}

export interface DevicesDeps {
  readonly sessions: BrowserSessionStore;
  readonly tokens: TokenServices;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/** Listing and ending a user's logins, browser and token alike. */
export class Devices {
  constructor(private readonly deps: DevicesDeps) {}

  async list(userId: string, current: CurrentLogin): Promise<Device[]> {
    const [sessions, families] = await Promise.all([this.deps.sessions.listByUser(userId), this.deps.tokens.listUserLogins(userId)]);
    const devices: Device[] = [
      ...sessions.map((session) => ({
        id: session.publicId,
        kind: 'browser' as const,
        createdAt: session.createdAt,
        lastUsedAt: session.lastSeenAt,
        clientId: null,
        userAgent: session.userAgent,
        ip: session.ip,
        current: current.kind === 'browser' && current.id === session.publicId,
      })),
      ...families.map((family) => ({
        id: family.id,
        kind: 'token' as const,
        createdAt: family.createdAt,
        lastUsedAt: family.lastUsedAt,
        clientId: family.clientId,
        userAgent: family.userAgent,
        ip: family.ip,
        current: current.kind === 'token' && current.id === family.id,
      })),
    ];
    return devices.sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime());
  }

  /**
   * Ends one of the user's logins at once. A token family is only touched
   * when it is the user's own; answers which kind it was, or undefined.
   */
  async end(userId: string, id: string, context: { ip: string | null }): Promise<Device['kind'] | undefined> {
    let kind: Device['kind'] | undefined;
    if (await this.deps.sessions.destroyByPublicId(userId, id)) {
      kind = 'browser';
      await this.deps.tokens.revokeBrowserSessionLogins(id, 'session_ended');
    } else {
      const own = (await this.deps.tokens.listUserLogins(userId)).some((family) => family.id === id);
      if (own && (await this.deps.tokens.revokeLogin(id, 'session_ended'))) kind = 'token';
    }
    if (kind) {
      await this.deps.audit.record({
        type: 'session_revoked',
        userId,
        familyId: kind === 'token' ? id : null,
        ip: context.ip,
        detail: { kind, ...(kind === 'browser' ? { session: id } : {}) },
        at: this.deps.clock.now(),
      });
    }
    return kind;
  }

  /**
   * Ends every login of the user but `keep` (the one the request is made
   * under, when the caller wants it kept).
   */
  async revokeAll(userId: string, reason: RevocationReason, keep?: CurrentLogin): Promise<RevokedCounts> {
    const [browserSessions, tokenFamilies] = await Promise.all([
      this.deps.sessions.destroyByUser(userId, keep?.kind === 'browser' ? keep.id : undefined),
      this.deps.tokens.revokeUserLogins(userId, reason, keep?.kind === 'token' ? keep.id : undefined),
    ]);
    return { browserSessions, tokenFamilies };
  }
}
