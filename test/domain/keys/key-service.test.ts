import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { generateSigningKey } from '../../../src/domain/keys/key-generation.js';
import type { KeySettings } from '../../../src/domain/keys/key-phase.js';
import { KeyService, type KeyLog, type KeyServiceTiming } from '../../../src/domain/keys/key-service.js';
import { wrapPrivateKey } from '../../../src/domain/keys/key-wrap.js';
import type { SigningKeyStore } from '../../../src/domain/keys/signing-key-store.js';
import { deriveSubkey } from '../../../src/domain/secrets.js';
import { memorySigningKeyStore } from '../../support/memory-signing-key-store.js';

const settings: KeySettings = { rotationDays: 30, prepublishSeconds: 3600, retentionSeconds: 930 };
const DAY = 86_400;
const wrapKey = deriveSubkey(randomBytes(32), 'signing-key-wrap');

function capturingLog() {
  const lines: { level: string; fields: object; message: string }[] = [];
  const at = (level: string) => (fields: object, message: string) => void lines.push({ level, fields, message });
  const log: KeyLog = { info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

const services: KeyService[] = [];
function keyService(store: SigningKeyStore, clock: ManualClock, options: { key?: Buffer; log?: KeyLog; timing?: Partial<KeyServiceTiming> } = {}) {
  const service = new KeyService({ store, wrapKey: options.key ?? wrapKey, clock, settings, log: options.log ?? capturingLog().log, ...(options.timing ? { timing: options.timing } : {}) });
  services.push(service);
  return service;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(services.splice(0).map((service) => service.stop()));
});

async function sign(keys: KeyService, clock: ManualClock) {
  const { kid, privateKey } = await keys.signingKey();
  const iat = Math.floor(clock.now().getTime() / 1000);
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).setIssuedAt(iat).setExpirationTime(iat + 900).sign(privateKey);
  return { kid, token };
}

async function verifies(keys: KeyService, clock: ManualClock, token: { kid: string; token: string }) {
  const key = await keys.verificationKey(token.kid);
  if (!key) return false;
  await jwtVerify(token.token, key, { currentDate: clock.now(), clockTolerance: 30 });
  return true;
}

const publishedKids = async (keys: KeyService) => (JSON.parse((await keys.jwks()).body) as { keys: { kid: string }[] }).keys.map((key) => key.kid);

describe('KeyService', () => {
  it('creates exactly one key on first start, active at once, and signs with it', async () => {
    const clock = new ManualClock();
    const { store, rows } = memorySigningKeyStore();
    const [a, b] = [keyService(store, clock), keyService(store, clock)];
    await Promise.all([a.start(), b.start()]);
    expect(rows.size).toBe(1);
    const token = await sign(a, clock);
    expect(token.kid).toBe((await b.signingKey()).kid);
    expect(await verifies(b, clock, token)).toBe(true);
    expect(await publishedKids(a)).toEqual([token.kid]);
  });

  it('rotates on schedule: the successor is published before it signs, the old key verifies until its tokens expire', async () => {
    const clock = new ManualClock();
    const { store, rows } = memorySigningKeyStore();
    const keys = keyService(store, clock);
    await keys.start();
    const first = await sign(keys, clock);

    clock.advance(30 * DAY - 3600 - 1);
    expect(await keys.checkRotation()).toBeUndefined();
    clock.advance(1);
    const { created } = (await keys.checkRotation())!;
    expect(created?.phase).toBe('published');
    expect(rows.size).toBe(2);
    expect(await publishedKids(keys)).toEqual([created!.kid, first.kid]);
    expect(await keys.checkRotation()).toBeUndefined();

    clock.advance(3599);
    const last = await sign(keys, clock);
    expect(last.kid).toBe(first.kid);
    clock.advance(1);
    expect((await keys.signingKey()).kid).toBe(created!.kid);
    expect(await verifies(keys, clock, last)).toBe(true);

    // The last token it signed is accepted until exp + 30 s skew = handover + 929 s; the key stays that long.
    clock.advance(928);
    expect(await verifies(keys, clock, last)).toBe(true);
    clock.advance(1);
    expect(await publishedKids(keys)).toEqual([created!.kid, first.kid]);
    clock.advance(1);
    expect(await publishedKids(keys)).toEqual([created!.kid]);
    expect(await keys.verificationKey(first.kid)).toBeUndefined();
  });

  it('on a compromise, unpublishes the key at once, rejects its tokens and signs with a new key immediately', async () => {
    const clock = new ManualClock();
    const { store, rows } = memorySigningKeyStore();
    const { log, lines } = capturingLog();
    const keys = keyService(store, clock, { log });
    await keys.start();
    const events: unknown[] = [];
    keys.onRotation((event) => events.push(event));
    const leaked = await sign(keys, clock);

    const result = await keys.rotate({ compromised: true });
    expect(result.compromised).toBe(leaked.kid);
    expect(result.created?.phase).toBe('active');
    expect(await keys.verificationKey(leaked.kid)).toBeUndefined();
    expect(await publishedKids(keys)).toEqual([result.created!.kid]);
    expect((await keys.signingKey()).kid).toBe(result.created!.kid);
    expect(rows.get(leaked.kid)?.compromisedAt).toEqual(clock.now());
    expect(events).toEqual([{ reason: 'compromised', created: result.created!.kid, compromised: leaked.kid }]);
    expect(lines.some((line) => line.level === 'warn' && /compromised/.test(line.message))).toBe(true);

    // Retried with the same kid (a double click, a replayed admin call): nothing more happens.
    expect(await keys.rotate({ compromised: true, kid: leaked.kid })).toEqual({});
    expect(rows.size).toBe(2);
  });

  it('replaces a leaked successor that never signed, while the current key keeps signing until the new handover', async () => {
    const clock = new ManualClock();
    const { store } = memorySigningKeyStore();
    const keys = keyService(store, clock);
    await keys.start();
    const current = (await keys.signingKey()).kid;
    const leaked = (await keys.rotate()).created!.kid;
    clock.advance(1800);
    const { created, compromised } = await keys.rotate({ compromised: true, kid: leaked });
    expect(compromised).toBe(leaked);
    expect(await publishedKids(keys)).toEqual([created!.kid, current]);
    clock.advance(1800);
    expect((await keys.signingKey()).kid).toBe(current);
    clock.advance(1800);
    expect((await keys.signingKey()).kid).toBe(created!.kid);
  });

  it('an on-demand rotation while one is under way does nothing', async () => {
    const clock = new ManualClock();
    const { store, rows } = memorySigningKeyStore();
    const keys = keyService(store, clock);
    await keys.start();
    const results = await Promise.all([keys.rotate(), keys.rotate(), keys.checkRotation()]);
    expect(results.filter((result) => result?.created)).toHaveLength(1);
    expect(rows.size).toBe(2);
  });

  it('learns a kid another replica created on first sight, but junk kids never reach the store and unknown ones only once per interval', async () => {
    const clock = new ManualClock();
    const { store, counts } = memorySigningKeyStore();
    const [a, b] = [keyService(store, clock), keyService(store, clock)];
    await a.start();
    await b.start();
    const { created } = await a.rotate({ compromised: true });
    const before = counts.list;
    expect(await b.verificationKey(created!.kid)).toBeDefined();
    expect(counts.list).toBe(before + 1);

    await b.verificationKey('not-a-thumbprint');
    await b.verificationKey('x'.repeat(5000));
    expect(counts.list).toBe(before + 1);
    clock.advance(5);
    const unknown = () => b.verificationKey(randomBytes(32).toString('base64url'));
    await Promise.all([unknown(), unknown(), unknown()]);
    expect(counts.list).toBe(before + 2);
    await unknown();
    expect(counts.list).toBe(before + 2);
    clock.advance(5);
    await unknown();
    expect(counts.list).toBe(before + 3);
  });

  it('neither publishes nor trusts a row written without the key-encryption key', async () => {
    const clock = new ManualClock();
    const { store, rows } = memorySigningKeyStore();
    const { log, lines } = capturingLog();
    const keys = keyService(store, clock, { log });
    await keys.start();
    const genuine = [...rows.values()][0]!;
    // Someone with write access to the database, but not the KEK, plants their own public key,
    // once with a ciphertext under another KEK and once with the genuine key's ciphertext.
    for (const privateKeyEnc of [null, genuine.privateKeyEnc]) {
      const planted = await generateSigningKey();
      rows.set(planted.kid, {
        ...genuine,
        kid: planted.kid,
        publicJwk: planted.publicJwk,
        privateKeyEnc: privateKeyEnc ?? wrapPrivateKey(deriveSubkey(randomBytes(32), 'signing-key-wrap'), planted.kid, planted.privateKey),
      });
      await keys.reload();
      expect(await keys.verificationKey(planted.kid)).toBeUndefined();
      expect(await publishedKids(keys)).toEqual([genuine.kid]);
    }
    expect(lines.filter((line) => line.level === 'error')).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toContain(Buffer.from(genuine.privateKeyEnc).toString('base64'));
  });

  it('with another key-encryption key, refuses to start and to rotate (it would add keys no other replica can use)', async () => {
    const clock = new ManualClock();
    const { store, rows } = memorySigningKeyStore();
    await keyService(store, clock).start();
    const misconfigured = () => keyService(store, clock, { key: deriveSubkey(randomBytes(32), 'signing-key-wrap') });
    await expect(misconfigured().start()).rejects.toThrow(/cannot be decrypted/);
    clock.advance(31 * DAY);
    await expect(misconfigured().start()).rejects.toThrow(/refusing to rotate/);
    await expect(misconfigured().rotate()).rejects.toThrow(/refusing to rotate/);
    await expect(misconfigured().rotate({ compromised: true })).rejects.toThrow(/refusing to rotate/);
    expect(rows.size).toBe(1);
  });

  it('keeps signing and verifying from memory while the store is down', async () => {
    const clock = new ManualClock();
    const { store } = memorySigningKeyStore();
    const { log, lines } = capturingLog();
    const keys = keyService(store, clock, { log });
    await keys.start();
    const token = await sign(keys, clock);
    store.list = () => Promise.reject(new Error('Invalid `findMany()` invocation:\n{ privateKeyEnc: ... }\n\nconnection refused'));
    expect(await keys.verificationKey(randomBytes(32).toString('base64url'))).toBeUndefined();
    expect(await verifies(keys, clock, await sign(keys, clock))).toBe(true);
    expect(await verifies(keys, clock, token)).toBe(true);
    expect(lines.find((line) => line.level === 'warn')?.fields).toEqual({ reason: 'connection refused' });
  });

  it('reloads and runs the rotation check on its timers until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const clock = new ManualClock();
    const { store, rows, counts } = memorySigningKeyStore();
    const keys = keyService(store, clock, { timing: { reloadMs: 10_000, rotationCheckMs: 60_000, rotationJitterMs: 15_000 } });
    await keys.start();
    const loads = counts.list;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(counts.list).toBe(loads + 1);

    clock.advance(30 * DAY);
    await vi.advanceTimersByTimeAsync(75_000);
    // stop() waits for the rotation the timer started (key generation runs on real crypto, not on timers).
    await keys.stop();
    expect(rows.size).toBe(2);
    const stopped = counts.list;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(counts.list).toBe(stopped);
    expect(vi.getTimerCount()).toBe(0);
  });
});
