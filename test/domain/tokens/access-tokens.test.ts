import { generateKeyPairSync, sign } from 'node:crypto';
import { SignJWT, UnsecuredJWT, base64url, decodeJwt, decodeProtectedHeader, exportJWK } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { AppError } from '../../../src/domain/errors.js';
import { ANY_AUDIENCE, AccessTokens } from '../../../src/domain/tokens/access-tokens.js';
import { memoryKeyRing } from '../../support/memory-key-ring.js';

const settings = { issuer: 'https://id.example.com', ttlSeconds: 900, clockSkewSeconds: 30, audience: 'api' };
const subject = { sub: 'user-1', aud: 'api', clientId: 'mobile', scope: 'openid profile', sid: 'family-1', roles: ['user'] };

describe('AccessTokens', () => {
  let keys: ReturnType<typeof memoryKeyRing>;
  let clock: ManualClock;
  let tokens: AccessTokens;
  beforeEach(() => {
    keys = memoryKeyRing();
    clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    tokens = new AccessTokens(keys, settings, clock);
  });

  it('issues RFC 9068 tokens: ES256, typ at+jwt, kid, and every contract claim', async () => {
    const { token } = await tokens.issue(subject);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: keys.kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'https://id.example.com',
      sub: 'user-1',
      aud: 'api',
      client_id: 'mobile',
      scope: 'openid profile',
      sid: 'family-1',
      roles: ['user'],
      iat: Date.parse('2030-01-01T00:00:00Z') / 1000,
      exp: Date.parse('2030-01-01T00:15:00Z') / 1000,
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(await tokens.verify(token)).toMatchObject({ sub: 'user-1', sid: 'family-1' });
  });

  it('leaves sid and roles out of client tokens', async () => {
    const { token } = await tokens.issue({ sub: 'orders', aud: 'api', clientId: 'orders', scope: 'orders:read' });
    const claims = decodeJwt(token);
    expect(claims).not.toHaveProperty('sid');
    expect(claims).not.toHaveProperty('roles');
  });

  it('accepts a token within the clock skew after expiry and rejects it beyond', async () => {
    const { token } = await tokens.issue(subject);
    clock.advance(900 + 29);
    await expect(tokens.verify(token)).resolves.toBeDefined();
    clock.advance(2);
    await expect(tokens.verify(token)).rejects.toThrow(AppError);
  });

  describe('rejects forged and foreign tokens', () => {
    const rejects = (token: string) => expect(tokens.verify(token)).rejects.toMatchObject({ code: 'unauthenticated' });

    it('malformed tokens, as unauthenticated and never another error', async () => {
      const segment = (value: unknown) => base64url.encode(JSON.stringify(value));
      const { token } = await tokens.issue(subject);
      const [, payload, signature] = token.split('.');
      for (const malformed of [
        '',
        'not-a-jwt',
        'a.b',
        'a.b.c',
        `${token}.extra`,
        `${base64url.encode('{not json')}.${payload}.${signature}`,
        `${segment([1, 2])}.${payload}.${signature}`,
        `${segment('header')}.${payload}.${signature}`,
        `${token.split('.')[0]}.${base64url.encode('[]')}.${signature}`,
      ]) {
        await rejects(malformed);
      }
    });

    it('alg none', async () => {
      const claims = decodeJwt((await tokens.issue(subject)).token);
      await rejects(new UnsecuredJWT(claims).encode());
    });

    it('HS256 keyed with the public key (algorithm confusion)', async () => {
      const claims = decodeJwt((await tokens.issue(subject)).token);
      const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' });
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: keys.kid }).sign(new TextEncoder().encode(String(publicPem)));
      await rejects(forged);
    });

    it('a tampered payload', async () => {
      const [header, payload, signature] = (await tokens.issue(subject)).token.split('.');
      const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!)));
      const tampered = base64url.encode(JSON.stringify({ ...claims, roles: ['admin'] }));
      await rejects(`${header}.${tampered}.${signature}`);
    });

    it('an unknown kid and an attacker key in a jwk header', async () => {
      const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const claims = decodeJwt((await tokens.issue(subject)).token);
      await rejects(await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'unknown' }).sign(attacker.privateKey));
      const jwk = await exportJWK(attacker.publicKey);
      await rejects(await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: keys.kid, jwk }).sign(attacker.privateKey));
    });

    it('our own key in a jwk header is still refused: tokens never name their key', async () => {
      const { privateKey } = await keys.signingKey();
      const claims = decodeJwt((await tokens.issue(subject)).token);
      const jwk = await exportJWK(keys.publicKey);
      await rejects(await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: keys.kid, jwk }).sign(privateKey));
    });

    it('a wrong issuer, audience or typ', async () => {
      const { privateKey } = await keys.signingKey();
      const claims = decodeJwt((await tokens.issue(subject)).token);
      const sign = (payload: object, typ = 'at+jwt') => new SignJWT({ ...payload }).setProtectedHeader({ alg: 'ES256', typ, kid: keys.kid }).sign(privateKey);
      await rejects(await sign({ ...claims, iss: 'https://evil.example.com' }));
      await rejects(await sign({ ...claims, aud: 'other-api' }));
      await rejects(await sign(claims, 'JWT'));
    });

    it('a token not yet valid beyond the skew, or without a numeric iat or exp', async () => {
      const { privateKey } = await keys.signingKey();
      const claims = decodeJwt((await tokens.issue(subject)).token);
      const sign = (payload: object) => new SignJWT({ ...payload }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: keys.kid }).sign(privateKey);
      const now = Date.parse('2030-01-01T00:00:00Z') / 1000;
      await expect(tokens.verify(await sign({ ...claims, nbf: now + 29 }))).resolves.toBeDefined();
      await rejects(await sign({ ...claims, nbf: now + 31 }));
      await rejects(await sign({ ...claims, iat: undefined }));
      await rejects(await sign({ ...claims, iat: String(now) }));
      await rejects(await sign({ ...claims, exp: String(now + 900) }));
    });

    it('a critical header extension it does not understand (RFC 7515 §4.1.11)', async () => {
      const { privateKey } = await keys.signingKey();
      const claims = decodeJwt((await tokens.issue(subject)).token);
      // jose will not sign an extension it does not know either: the token is put together here.
      const compact = (header: object) => {
        const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}`;
        return `${input}.${base64url.encode(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
      };
      const header = { alg: 'ES256', typ: 'at+jwt', kid: keys.kid };
      await expect(tokens.verify(compact(header))).resolves.toBeDefined();
      await rejects(compact({ ...header, crit: ['urn:example:bind'], 'urn:example:bind': true }));
    });

    it('an expired token', async () => {
      const { token } = await tokens.issue(subject);
      clock.advance(3600);
      await rejects(token);
    });

    it('a token whose key was withdrawn (compromised)', async () => {
      const { token } = await tokens.issue(subject);
      keys.withdraw();
      await rejects(token);
    });
  });

  it('verifies any audience only when asked to (introspection)', async () => {
    const { token } = await tokens.issue({ ...subject, aud: 'billing' });
    await expect(tokens.verify(token)).rejects.toThrow(AppError);
    await expect(tokens.verify(token, ANY_AUDIENCE)).resolves.toMatchObject({ aud: 'billing' });
  });
});
