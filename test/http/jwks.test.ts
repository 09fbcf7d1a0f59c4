import { randomBytes } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { MIGRATIONS_DIR } from '../../src/composition/database.js';
import { loadConfig } from '../../src/config/index.js';
import { ManualClock } from '../../src/domain/clock.js';
import { applyMigrations, readMigrations } from '../../src/store/migrations.js';
import { openDatabase } from '../../src/store/open-database.js';
import type { FastifyInstance } from 'fastify';
import { startTestApp, type TestApp } from '../support/app.js';
import { databaseTargets } from '../support/databases.js';

const DAY = 86_400;
// Rotation every 30 days, published an hour ahead, tokens of 900 s checked with 30 s skew.
const env = { KEY_ROTATION_DAYS: '30', KEY_PREPUBLISH_SECONDS: '3600', JWKS_MAX_AGE_SECONDS: '300', ACCESS_TOKEN_TTL_SECONDS: '900', CLOCK_SKEW_SECONDS: '30' };

async function getJwks(app: FastifyInstance, headers: Record<string, string> = {}) {
  return app.inject({ url: '/.well-known/jwks.json', headers });
}

async function kids(app: FastifyInstance): Promise<string[]> {
  return ((await getJwks(app)).json() as JSONWebKeySet).keys.map((key) => key.kid as string);
}

/** A token as the access-token code signs it, with the ring's current key. */
async function sign(app: FastifyInstance, clock: ManualClock) {
  const { kid, privateKey } = await app.keyRing.signingKey();
  const iat = Math.floor(clock.now().getTime() / 1000);
  const token = await new SignJWT({ sub: 'user' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).setIssuedAt(iat).setExpirationTime(iat + 900).sign(privateKey);
  return { kid, token };
}

/** Verifies as a downstream service does: offline, against the JWKS it fetched. */
async function downstreamAccepts(app: FastifyInstance, clock: ManualClock, token: string): Promise<boolean> {
  const jwks = createLocalJWKSet((await getJwks(app)).json() as JSONWebKeySet);
  try {
    await jwtVerify(token, jwks, { algorithms: ['ES256'], currentDate: clock.now(), clockTolerance: 30 });
    return true;
  } catch {
    return false;
  }
}

describe.each(databaseTargets)('JWKS and signing-key rotation on $name', (target) => {
  describe('one running service', () => {
    const clock = new ManualClock();
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(target, { clock, env });
    });
    afterAll(async () => {
      expect(t.specViolations).toEqual([]);
      await t.close();
    });

    it('publishes the one key created on first start, with public members only', async () => {
      const response = await getJwks(t.app);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toBe('public, max-age=300');
      const { keys } = response.json() as JSONWebKeySet;
      expect(keys).toHaveLength(1);
      const [jwk] = keys;
      expect(Object.keys(jwk!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(jwk!.kid).toBe(await calculateJwkThumbprint(jwk!, 'sha256'));

      const { kid, privateKey } = await t.app.keyRing.signingKey();
      expect(kid).toBe(jwk!.kid);
      const d = privateKey.export({ format: 'jwk' }).d!;
      const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
      for (const text of [response.body, t.logText()]) {
        expect(text).not.toContain(d);
        expect(text).not.toContain(pkcs8);
      }
      expect(t.logs.find((line) => line.msg === 'signing key created')).toMatchObject({ reason: 'bootstrap', created: kid });
    });

    it('answers 304 to a cache that already holds the current key set', async () => {
      const first = await getJwks(t.app);
      const etag = first.headers.etag as string;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const cached = await getJwks(t.app, { 'if-none-match': ifNoneMatch });
        expect(cached.statusCode).toBe(304);
        expect(cached.body).toBe('');
        expect(cached.headers.etag).toBe(etag);
        expect(cached.headers['cache-control']).toBe('public, max-age=300');
      }
      expect((await getJwks(t.app, { 'if-none-match': '"stale"' })).statusCode).toBe(200);
    });

    it('rotates on schedule: lists the next key before it signs and keeps the old one until its tokens expire', async () => {
      const first = await sign(t.app, clock);
      const etagBefore = (await getJwks(t.app)).headers.etag;

      clock.advance(30 * DAY - 3600 - 1);
      expect(await t.app.keyService.checkRotation()).toBeUndefined();
      expect(await kids(t.app)).toEqual([first.kid]);

      clock.advance(1);
      const next = (await t.app.keyService.checkRotation())?.created?.kid;
      expect(next).toBeDefined();
      // Published, not yet signing: verifiers caching the JWKS for max-age pick it up first.
      expect(await kids(t.app)).toEqual([next, first.kid]);
      expect((await getJwks(t.app, { 'if-none-match': etagBefore as string })).statusCode).toBe(200);
      expect((await t.app.keyRing.signingKey()).kid).toBe(first.kid);

      clock.advance(3599);
      const lastOfOld = await sign(t.app, clock);
      expect(lastOfOld.kid).toBe(first.kid);

      clock.advance(1);
      const firstOfNew = await sign(t.app, clock);
      expect(firstOfNew.kid).toBe(next);
      expect(await kids(t.app)).toEqual([next, first.kid]);
      expect(await downstreamAccepts(t.app, clock, lastOfOld.token)).toBe(true);
      expect(await downstreamAccepts(t.app, clock, firstOfNew.token)).toBe(true);

      // lastOfOld is accepted until exp (handover + 899 s) plus 30 s of skew.
      clock.advance(928);
      expect(await downstreamAccepts(t.app, clock, lastOfOld.token)).toBe(true);
      clock.advance(1);
      expect(await kids(t.app)).toEqual([next, first.kid]);
      clock.advance(1);
      expect(await kids(t.app)).toEqual([next]);
      expect(await t.app.keyRing.verificationKey(first.kid)).toBeUndefined();
      expect(await downstreamAccepts(t.app, clock, (await sign(t.app, clock)).token)).toBe(true);
    });

    it('on a compromise, removes the key from the JWKS at once and signs with a new key immediately', async () => {
      const leaked = await sign(t.app, clock);
      const result = await t.app.keyService.rotate({ compromised: true });
      expect(result.compromised).toBe(leaked.kid);
      const replacement = result.created!.kid;

      expect(await kids(t.app)).toEqual([replacement]);
      expect(await t.app.keyRing.verificationKey(leaked.kid)).toBeUndefined();
      expect(await downstreamAccepts(t.app, clock, leaked.token)).toBe(false);
      const fresh = await sign(t.app, clock);
      expect(fresh.kid).toBe(replacement);
      expect(await downstreamAccepts(t.app, clock, fresh.token)).toBe(true);
      expect(t.app.keyService.status().find((key) => key.kid === leaked.kid)?.phase).toBe('compromised');
    });

    it('reports the rotations it performed while serving, and key phases, in the metrics', async () => {
      const body = (await t.app.inject('/metrics')).body;
      expect(body).toMatch(/^signing_key_rotations_total\{reason="scheduled"\} 1$/m);
      expect(body).toMatch(/^signing_key_rotations_total\{reason="compromised"\} 1$/m);
      expect(body).toMatch(/^signing_keys\{phase="active"\} 1$/m);
      expect(body).toMatch(/^signing_keys\{phase="compromised"\} 1$/m);
    });
  });

  it('keeps its keys across a restart on the same database, and refuses to start with another key-encryption key', async () => {
    const database = await target.create();
    try {
      const config = loadConfig({ LOG_LEVEL: 'silent', ...database.env });
      if (config.database.kind === 'postgres') {
        const db = await openDatabase(config);
        await applyMigrations(db.handle, await readMigrations(MIGRATIONS_DIR));
        await db.close();
      }
      const first = await buildApp(config);
      const before = await getJwks(first);
      const kid = (await first.keyRing.signingKey()).kid;
      await first.close();

      const second = await buildApp(config);
      const after = await getJwks(second);
      expect((await second.keyRing.signingKey()).kid).toBe(kid);
      expect(after.body).toBe(before.body);
      expect(after.headers.etag).toBe(before.headers.etag);
      await second.close();

      const otherKey = loadConfig({ LOG_LEVEL: 'silent', ...database.env, KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
      await expect(buildApp(otherKey)).rejects.toThrow(/cannot be decrypted with this KEY_ENCRYPTION_KEY/);
    } finally {
      await database.drop();
    }
  });
});
