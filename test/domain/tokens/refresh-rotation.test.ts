import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../../../src/config/index.js';
import { ManualClock } from '../../../src/domain/clock.js';
import type { Client } from '../../../src/domain/clients/client.js';
import { RevocationState } from '../../../src/domain/revocations/revocation-state.js';
import { createTokenDomain, type TokenDomain } from '../../../src/domain/tokens/token-domain.js';
import type { TokenResponse } from '../../../src/domain/tokens/token-response.js';
import { MIGRATIONS_DIR } from '../../../src/composition/database.js';
import { openDatabase, type OpenDatabase } from '../../../src/store/open-database.js';
import { applyMigrations, readMigrations } from '../../../src/store/migrations.js';
import { PostgresRefreshStore } from '../../../src/store/refresh-store.js';
import { PostgresRevocationStore } from '../../../src/store/revocation-store.js';
import { PostgresAuthorizationCodeStore } from '../../../src/store/authorization-code-store.js';
import { PostgresUserStore } from '../../../src/store/user-store.js';
import { AppError } from '../../../src/domain/errors.js';
import { databaseTargets } from '../../support/databases.js';
import { memoryKeyRing } from '../../support/memory-key-ring.js';
import { emailOfInsertedUser, insertUser } from '../../support/users.js';

const mobile: Client = {
  clientId: 'mobile',
  type: 'public',
  firstParty: true,
  grantTypes: ['refresh_token'],
  redirectUris: [],
  scopes: ['openid', 'profile', 'offline_access'],
  audience: 'api',
  postLogoutRedirectUris: [],
};
const web: Client = { ...mobile, clientId: 'web' };

// The exact rotation rule, on the real store and database, with a clock the test moves.
describe.each(databaseTargets)('refresh-token rotation on $name', (target) => {
  let db: OpenDatabase;
  let drop: () => Promise<void>;
  let clock: ManualClock;
  let domain: TokenDomain;
  let revocations: RevocationState;
  let userId: string;
  const events = { replays: 0, reuses: [] as string[] };

  beforeAll(async () => {
    const created = await target.create();
    drop = created.drop;
    db = await openDatabase(loadConfig(created.env));
    await applyMigrations(db.handle, await readMigrations(MIGRATIONS_DIR));
    userId = await insertUser(db.handle);
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });
  beforeEach(() => {
    clock = new ManualClock(new Date());
    events.replays = 0;
    events.reuses = [];
    const revocationStore = new PostgresRevocationStore(db.handle);
    revocations = new RevocationState({ store: revocationStore, clock, windowSeconds: 900 });
    domain = createTokenDomain({
      keys: memoryKeyRing(),
      store: new PostgresRefreshStore(db.handle),
      revocations: { state: revocations, store: revocationStore },
      clock,
      accessToken: { issuer: 'http://localhost', ttlSeconds: 900, clockSkewSeconds: 0, audience: 'api' },
      lifetimes: { graceSeconds: 10, idleTtlSeconds: 3600, familyTtlSeconds: 86400 },
      successorKey: randomBytes(32),
      events: { graceReplay: () => events.replays++, reuseDetected: (id) => events.reuses.push(id) },
      codes: new PostgresAuthorizationCodeStore(db.handle),
      activeUser: (id) => new PostgresUserStore(db.handle).findById(id),
    });
  });

  const login = () => domain.services.startLogin({ userId, email: emailOfInsertedUser(userId), roles: ['user'], client: mobile, scope: 'openid offline_access' });
  const refresh = (token: string, client: Client = mobile, extra: Record<string, string> = {}) =>
    domain.grants.refresh_token!({ client, params: { grant_type: 'refresh_token', refresh_token: token, ...extra }, ip: '203.0.113.7', userAgent: null });
  const sidOf = async (response: TokenResponse) => (await domain.accessTokens.verify(response.access_token)).sid!;
  /** Whether this replica's revocation state refuses the response's access token, once it has read what was recorded. */
  const accessRevoked = async (response: TokenResponse) => {
    await revocations.catchUp();
    return domain.services.isRevoked(await domain.accessTokens.verify(response.access_token));
  };
  const invalidGrant = { code: 'invalid_grant' };

  it('rotates: a new token in the same family, the old one spent', async () => {
    const first = await login();
    const second = await refresh(first.refresh_token!);
    expect(second.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(await sidOf(second)).toBe(await sidOf(first));
    expect(second.scope).toBe('openid offline_access');
    const third = await refresh(second.refresh_token!);
    expect(await sidOf(third)).toBe(await sidOf(first));
    // Each access token names the account, as read with the rotation.
    const claims = await domain.accessTokens.verify(third.access_token);
    expect({ sub: claims.sub, email: claims.email, roles: claims.roles }).toEqual({ sub: userId, email: emailOfInsertedUser(userId), roles: ['user'] });
  });

  it('creates a family and its first token together, or neither', async () => {
    const store = new PostgresRefreshStore(db.handle);
    const family = (id: string) => ({ id, userId, clientId: 'mobile', scope: 'openid', userAgent: null, ip: null, createdAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 86_400_000), browserSessionId: null, authTime: null, amr: [], dpopJkt: null });
    const [first, second] = [randomUUID(), randomUUID()];
    const tokenHash = randomBytes(32).toString('base64url');
    await store.createFamily(family(first), tokenHash);
    expect(await store.findByToken(tokenHash)).toMatchObject({ family: { id: first, generation: 0 }, spent: false });
    // The same first-token hash again: its insert fails, and the second family goes with it.
    await expect(store.createFamily(family(second), tokenHash)).rejects.toThrow();
    const families = await db.handle.query<{ id: string }>('SELECT id::text FROM refresh_families WHERE id = ANY($1::uuid[])', [[first, second]]);
    expect(families).toEqual([{ id: first }]);
  });

  it('answers a replay of the immediate parent within the window with the same successor', async () => {
    const first = await login();
    const second = await refresh(first.refresh_token!);
    clock.advance(9);
    const replay = await refresh(first.refresh_token!);
    expect(replay.refresh_token).toBe(second.refresh_token);
    expect(replay.access_token).not.toBe(second.access_token);
    expect((await domain.accessTokens.verify(replay.access_token)).email).toBe(emailOfInsertedUser(userId));
    expect(events.replays).toBe(1);
    // The successor is still the live token.
    await expect(refresh(second.refresh_token!)).resolves.toBeDefined();
  });

  it('revokes the family when the parent is replayed after the window', async () => {
    const first = await login();
    const second = await refresh(first.refresh_token!);
    clock.advance(11);
    await expect(refresh(first.refresh_token!)).rejects.toMatchObject(invalidGrant);
    expect(events.reuses).toEqual([await sidOf(first)]);
    await expect(refresh(second.refresh_token!)).rejects.toMatchObject(invalidGrant);
    expect(await accessRevoked(second)).toBe(true);
    const [audit] = await db.handle.query<{ type: string; family_id: string; client_id: string; ip: string }>(
      `SELECT type, family_id, client_id, ip FROM audit_events WHERE family_id = $1`,
      [await sidOf(first)],
    );
    expect(audit).toEqual({ type: 'refresh_token_reuse_detected', family_id: await sidOf(first), client_id: 'mobile', ip: '203.0.113.7' });
  });

  it('revokes the family when an older generation is presented, even within the window', async () => {
    const first = await login();
    const second = await refresh(first.refresh_token!);
    const third = await refresh(second.refresh_token!);
    await expect(refresh(first.refresh_token!)).rejects.toMatchObject(invalidGrant);
    await expect(refresh(third.refresh_token!)).rejects.toMatchObject(invalidGrant);
  });

  it('revokes the family when the parent is replayed after its successor was used', async () => {
    const first = await login();
    const second = await refresh(first.refresh_token!);
    await refresh(second.refresh_token!);
    await expect(refresh(first.refresh_token!)).rejects.toMatchObject(invalidGrant);
    expect(events.reuses).toHaveLength(1);
  });

  it('refuses a token presented by another client without touching the family', async () => {
    const first = await login();
    await expect(refresh(first.refresh_token!, web)).rejects.toMatchObject(invalidGrant);
    await expect(refresh(first.refresh_token!)).resolves.toBeDefined();
    expect(events.reuses).toEqual([]);
  });

  it('refuses unknown and malformed tokens', async () => {
    await expect(refresh(randomBytes(32).toString('base64url'))).rejects.toMatchObject(invalidGrant);
    await expect(refresh('short')).rejects.toMatchObject(invalidGrant);
  });

  it('narrows scope on request and refuses widening without spending the token', async () => {
    const first = await login();
    await expect(refresh(first.refresh_token!, mobile, { scope: 'openid profile' })).rejects.toMatchObject({ code: 'invalid_scope' });
    const narrowed = await refresh(first.refresh_token!, mobile, { scope: 'openid' });
    expect(narrowed.scope).toBe('openid');
    // The family keeps its full scope for the next rotation.
    expect((await refresh(narrowed.refresh_token!)).scope).toBe('openid offline_access');
  });

  it('expires a family after its idle lifetime and after its absolute lifetime', async () => {
    const idle = await login();
    clock.advance(3601);
    await expect(refresh(idle.refresh_token!)).rejects.toMatchObject(invalidGrant);

    const long = await login();
    let token = long.refresh_token!;
    for (let hour = 0; hour < 24; hour++) {
      clock.advance(3599);
      token = (await refresh(token)).refresh_token!;
    }
    clock.advance(3599);
    await expect(refresh(token)).rejects.toMatchObject(invalidGrant);
    expect(events.reuses).toEqual([]);
  });

  it('refuses refresh for a disabled user', async () => {
    const first = await login();
    await db.handle.query('UPDATE users SET disabled_at = now() WHERE id = $1', [userId]);
    try {
      await expect(refresh(first.refresh_token!)).rejects.toMatchObject(invalidGrant);
    } finally {
      await db.handle.query('UPDATE users SET disabled_at = NULL WHERE id = $1', [userId]);
    }
  });

  it('revokes one login or all of a user', async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    expect(await domain.services.revokeLogin(await sidOf(a), 'logout')).toBe(true);
    await expect(refresh(a.refresh_token!)).rejects.toMatchObject(invalidGrant);
    expect(await domain.services.revokeUserLogins(userId, 'logout_all', await sidOf(c))).toBeGreaterThanOrEqual(1);
    await expect(refresh(b.refresh_token!)).rejects.toMatchObject(invalidGrant);
    await expect(refresh(c.refresh_token!)).resolves.toBeDefined();
    // The revoking replica refuses the access tokens before the call returns, with no catch-up of its own.
    const isRevoked = async (response: TokenResponse) => domain.services.isRevoked(await domain.accessTokens.verify(response.access_token));
    expect([await isRevoked(a), await isRevoked(b), await isRevoked(c)]).toEqual([true, true, false]);
  });

  it('keeps one branch under 20 parallel refreshes of one token: one winner, the rest grace replays of the same successor', async () => {
    const first = await login();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => refresh(first.refresh_token!)));
    const failures = results.filter((result) => result.status === 'rejected');
    expect(failures.map((failure) => (failure as PromiseRejectedResult).reason)).toEqual([]);
    const successors = new Set(results.map((result) => (result as PromiseFulfilledResult<TokenResponse>).value.refresh_token));
    expect(successors.size).toBe(1);
    expect(events.replays).toBe(19);
    const sid = await sidOf(first);
    const rows = await db.handle.query<{ generation: number; spent: boolean }>(
      'SELECT generation, spent_at IS NOT NULL AS spent FROM refresh_tokens WHERE family_id = $1 ORDER BY generation',
      [sid],
    );
    expect(rows).toEqual([
      { generation: 0, spent: true },
      { generation: 1, spent: false },
    ]);
  });

  it('revokes exactly once when 20 parallel presentations of an old generation race', async () => {
    const first = await login();
    const second = await refresh(first.refresh_token!);
    await refresh(second.refresh_token!);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => refresh(first.refresh_token!)));
    expect(results.every((result) => result.status === 'rejected' && result.reason instanceof AppError && result.reason.code === 'invalid_grant')).toBe(true);
    const audits = await db.handle.query('SELECT 1 FROM audit_events WHERE family_id = $1', [await sidOf(first)]);
    expect(audits.length).toBe(1);
    expect(events.reuses).toHaveLength(1);
    expect(await accessRevoked(first)).toBe(true);
    const recorded = await db.handle.query('SELECT 1 FROM revocations WHERE sid = $1', [await sidOf(first)]);
    expect(recorded.length).toBe(1);
  });
});
