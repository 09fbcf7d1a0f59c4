import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/composition/database.js';
import { loadConfig } from '../../src/config/index.js';
import { openDatabase, type OpenDatabase } from '../../src/store/open-database.js';
import { applyMigrations, pendingMigrations, readMigrations } from '../../src/store/migrations.js';
import { databaseTargets } from '../support/databases.js';

const at = (iso: string) => new Date(iso);

// The migrations are written by hand (no schema engine here), so this proves
// they match schema.prisma: every model, every field, written and read back.
describe.each(databaseTargets)('Prisma schema and migrations agree on $name', (target) => {
  let db: OpenDatabase;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const created = await target.create();
    drop = created.drop;
    db = await openDatabase(loadConfig(created.env));
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it('applies every migration once, recorded as Prisma Migrate records it', async () => {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    expect(await pendingMigrations(db.handle, migrations)).toEqual(migrations.map((m) => m.name));
    expect(await applyMigrations(db.handle, migrations)).toEqual(migrations.map((m) => m.name));
    expect(await applyMigrations(db.handle, migrations)).toEqual([]);
    const rows = await db.handle.query<{ migration_name: string; checksum: string; applied_steps_count: number; finished_at: Date }>(
      'SELECT migration_name, checksum, applied_steps_count, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows.map((row) => [row.migration_name, row.checksum, row.applied_steps_count])).toEqual(
      migrations.map((m) => [m.name, m.checksum, 1]),
    );
    expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
  });

  it('writes and reads back every model and field', async () => {
    const prisma = await db.prisma();
    const userId = randomUUID();
    const user = {
      id: userId,
      email: 'Alice@Example.com',
      emailNormalized: 'alice@example.com',
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
      roles: ['user', 'admin'],
      disabledAt: at('2030-01-02T00:00:00.000Z'),
      failedLoginCount: 3,
      lockedUntil: at('2030-01-03T00:00:00.000Z'),
      passwordChangedAt: at('2030-01-01T00:00:00.001Z'),
      emailVerifiedAt: at('2030-01-01T00:05:00.000Z'),
      createdAt: at('2030-01-01T00:00:00.000Z'),
      updatedAt: at('2030-01-01T00:00:00.002Z'),
    };
    await prisma.user.create({ data: user });
    expect(await prisma.user.findUniqueOrThrow({ where: { emailNormalized: 'alice@example.com' } })).toEqual(user);

    const session = {
      idHash: 'session-hash',
      publicId: randomUUID(),
      userId,
      data: { csrfSecret: 'x', nested: { n: 1 } },
      userAgent: 'Firefox',
      ip: '203.0.113.9',
      createdAt: at('2030-01-01T00:00:00.000Z'),
      lastSeenAt: at('2030-01-01T00:10:00.000Z'),
      idleExpiresAt: at('2030-01-01T00:40:00.000Z'),
      expiresAt: at('2030-01-01T12:00:00.000Z'),
    };
    await prisma.browserSession.create({ data: session });
    expect(await prisma.browserSession.findUniqueOrThrow({ where: { idHash: 'session-hash' } })).toEqual(session);

    const family = {
      id: randomUUID(),
      userId,
      clientId: 'mobile',
      scope: 'openid offline_access',
      generation: 2,
      userAgent: 'App/1.0',
      ip: '198.51.100.1',
      createdAt: at('2030-01-01T00:00:00.000Z'),
      lastUsedAt: at('2030-01-01T01:00:00.000Z'),
      expiresAt: at('2030-01-31T00:00:00.000Z'),
      revokedAt: at('2030-01-02T00:00:00.000Z'),
      revokedReason: 'logout',
      browserSessionId: randomUUID(),
      authTime: at('2029-12-31T23:59:00.000Z'),
      amr: ['pwd', 'otp'],
      dpopJkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
    };
    await prisma.refreshFamily.create({ data: family });
    expect(await prisma.refreshFamily.findUniqueOrThrow({ where: { id: family.id } })).toEqual(family);

    const token = { tokenHash: 'rt-hash', familyId: family.id, generation: 2, spentAt: at('2030-01-01T01:00:00.000Z'), createdAt: at('2030-01-01T00:30:00.000Z') };
    await prisma.refreshToken.create({ data: token });
    expect(await prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: 'rt-hash' } })).toEqual(token);
    await expect(
      prisma.refreshToken.create({ data: { ...token, tokenHash: 'rt-hash-2' } }),
    ).rejects.toThrow(/Unique constraint/);

    const key = {
      kid: 'kid-1',
      publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
      privateKeyEnc: new Uint8Array([1, 2, 3, 255]),
      createdAt: at('2030-01-01T00:00:00.000Z'),
      activatesAt: at('2030-01-01T01:00:00.000Z'),
      retiredAt: at('2030-02-01T00:00:00.000Z'),
      compromisedAt: at('2030-02-02T00:00:00.000Z'),
    };
    await prisma.signingKey.create({ data: key });
    const storedKey = await prisma.signingKey.findUniqueOrThrow({ where: { kid: 'kid-1' } });
    expect({ ...storedKey, privateKeyEnc: [...storedKey.privateKeyEnc] }).toEqual({ ...key, privateKeyEnc: [1, 2, 3, 255] });

    const code = {
      codeHash: 'code-hash',
      clientId: 'mobile',
      userId,
      redirectUri: 'com.example.app:/oauth/callback',
      scope: 'openid',
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      codeChallengeMethod: 'S256',
      familyId: family.id,
      createdAt: at('2030-01-01T00:00:00.000Z'),
      expiresAt: at('2030-01-01T00:01:00.000Z'),
      consumedAt: at('2030-01-01T00:00:30.000Z'),
      nonce: 'n-0S6_WzA2Mj',
      browserSessionId: randomUUID(),
      authTime: at('2029-12-31T23:59:00.000Z'),
      amr: ['pwd'],
      dpopJkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
    };
    await prisma.authorizationCode.create({ data: code });
    expect(await prisma.authorizationCode.findUniqueOrThrow({ where: { codeHash: 'code-hash' } })).toEqual(code);

    const request = {
      idHash: 'request-hash',
      clientId: 'shop-web',
      parameters: { redirectUri: 'http://localhost:4000/callback', prompt: ['login'] },
      loginAfter: at('2030-01-01T00:00:00.000Z'),
      createdAt: at('2030-01-01T00:00:00.000Z'),
      expiresAt: at('2030-01-01T00:15:00.000Z'),
    };
    await prisma.authorizationRequest.create({ data: request });
    expect(await prisma.authorizationRequest.findUniqueOrThrow({ where: { idHash: 'request-hash' } })).toEqual(request);

    const consent = { userId, clientId: 'shop-web', scope: 'openid email', createdAt: at('2030-01-01T00:00:00.000Z'), updatedAt: at('2030-01-02T00:00:00.000Z') };
    await prisma.consent.create({ data: consent });
    expect(await prisma.consent.findUniqueOrThrow({ where: { userId_clientId: { userId, clientId: 'shop-web' } } })).toEqual(consent);

    expect(await prisma.revocationVersion.findUniqueOrThrow({ where: { id: true } })).toEqual({ id: true, version: 0n });
    const revocation = await prisma.revocation.create({ data: { version: 1n, sid: family.id, revokedAt: at('2030-01-01T00:00:00.000Z') } });
    expect(typeof revocation.id).toBe('bigint');
    expect(await prisma.revocation.findUniqueOrThrow({ where: { id: revocation.id } })).toEqual({ id: revocation.id, version: 1n, sid: family.id, sub: null, revokedAt: at('2030-01-01T00:00:00.000Z') });
    await expect(prisma.revocation.create({ data: { version: 2n, revokedAt: at('2030-01-01T00:00:00.000Z') } })).rejects.toThrow();

    const event = await prisma.auditEvent.create({
      data: { type: 'login_succeeded', userId, clientId: 'mobile', familyId: family.id, ip: '203.0.113.9', detail: { method: 'password' }, createdAt: at('2030-01-01T00:00:00.000Z') },
    });
    expect(typeof event.id).toBe('bigint');
    expect(await prisma.auditEvent.findUniqueOrThrow({ where: { id: event.id } })).toMatchObject({ type: 'login_succeeded', detail: { method: 'password' } });

    const totp = { userId, secretEnc: new Uint8Array([9, 8, 7]), confirmedAt: at('2030-01-01T00:01:00.000Z'), lastUsedStep: 63_072_000n, createdAt: at('2030-01-01T00:00:00.000Z') };
    await prisma.totpFactor.create({ data: totp });
    const storedTotp = await prisma.totpFactor.findUniqueOrThrow({ where: { userId } });
    expect({ ...storedTotp, secretEnc: [...storedTotp.secretEnc] }).toEqual({ ...totp, secretEnc: [9, 8, 7] });
    const recovery = { userId, codeHash: 'recovery-hash', usedAt: at('2030-01-01T00:02:00.000Z'), createdAt: at('2030-01-01T00:01:00.000Z') };
    await prisma.recoveryCode.create({ data: recovery });
    expect(await prisma.recoveryCode.findUniqueOrThrow({ where: { userId_codeHash: { userId, codeHash: 'recovery-hash' } } })).toEqual(recovery);
    const challenge = {
      tokenHash: 'challenge-hash',
      userId,
      clientId: 'mobile',
      scope: 'openid',
      dpopJkt: 'jkt',
      failures: 2,
      createdAt: at('2030-01-01T00:00:00.000Z'),
      expiresAt: at('2030-01-01T00:05:00.000Z'),
      consumedAt: at('2030-01-01T00:01:00.000Z'),
    };
    await prisma.mfaChallenge.create({ data: challenge });
    expect(await prisma.mfaChallenge.findUniqueOrThrow({ where: { tokenHash: 'challenge-hash' } })).toEqual(challenge);

    const passkey = {
      id: randomUUID(),
      userId,
      credentialId: 'AQIDBAUGBwgJCgsMDQ4PEA',
      publicKey: new Uint8Array([0xa5, 0x01, 0x02, 0x03, 0x26]),
      counter: 7n,
      transports: ['internal', 'hybrid'],
      aaguid: '00000000-0000-0000-0000-000000000000',
      backupEligible: true,
      backedUp: false,
      name: 'Laptop',
      createdAt: at('2030-01-01T00:00:00.000Z'),
      lastUsedAt: at('2030-01-01T00:10:00.000Z'),
    };
    await prisma.passkey.create({ data: passkey });
    expect(await prisma.passkey.findUniqueOrThrow({ where: { credentialId: passkey.credentialId } })).toEqual(passkey);
    await expect(prisma.passkey.create({ data: { ...passkey, id: randomUUID() } })).rejects.toThrow();
    const ceremony = { sessionId: randomUUID(), purpose: 'authentication', challenge: 'c2lnbiBtZQ', userId: null, expiresAt: at('2030-01-01T00:02:00.000Z') };
    await prisma.webauthnChallenge.create({ data: ceremony });
    expect(await prisma.webauthnChallenge.findUniqueOrThrow({ where: { sessionId_purpose: { sessionId: ceremony.sessionId, purpose: 'authentication' } } })).toEqual(ceremony);

    // Deleting a user removes everything that belongs to it.
    await prisma.user.delete({ where: { id: userId } });
    expect(await prisma.totpFactor.count()).toBe(0);
    expect(await prisma.recoveryCode.count()).toBe(0);
    expect(await prisma.mfaChallenge.count()).toBe(0);
    expect(await prisma.passkey.count()).toBe(0);
    expect(await prisma.refreshToken.count()).toBe(0);
    expect(await prisma.browserSession.count()).toBe(0);
    expect(await prisma.authorizationCode.count()).toBe(0);
    expect(await prisma.consent.count()).toBe(0);
  });
});
