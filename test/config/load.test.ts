import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { envSchema } from '../../src/config/schema.js';

describe('loadConfig', () => {
  it('has an environment schema that is valid JSON Schema (the service skips this check at start)', () => {
    const ajv = new Ajv();
    expect(ajv.validateSchema(envSchema), ajv.errorsText()).toBe(true);
  });

  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.database.kind).toBe('embedded');
    expect(config.accessToken.ttlSeconds).toBe(900);
    expect(config.refresh.graceSeconds).toBe(10);
    expect(config.clientsFile).toMatch(/config\/clients\.demo\.json$/);
    // Longer keep-alive than a load balancer's usual 60 s idle timeout; slow requests cut off within tens of seconds.
    expect(config.httpTimeouts).toEqual({ requestMs: 30000, headersMs: 10000, keepAliveMs: 72000 });
    expect(config.migrateOnStart).toBe(false);
  });

  it('leaves a libuv thread free of password hashing, unless told otherwise', () => {
    expect(loadConfig({}).passwordHashingConcurrency).toBe(3);
    expect(loadConfig({ UV_THREADPOOL_SIZE: '2' }).passwordHashingConcurrency).toBe(1);
    expect(loadConfig({ UV_THREADPOOL_SIZE: '1' }).passwordHashingConcurrency).toBe(1);
    expect(loadConfig({ ARGON2_MAX_CONCURRENT: '6' }).passwordHashingConcurrency).toBe(6);
    expect(() => loadConfig({ ARGON2_MAX_CONCURRENT: '0' })).toThrow(/ARGON2_MAX_CONCURRENT/);
  });

  it('derives the issuer from PORT and strips a trailing slash from ISSUER', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://id.example.com/' }).issuer).toBe('https://id.example.com');
    expect(loadConfig({ ISSUER: 'https://id.example.com/' }).httpsIssuer).toBe(true);
    expect(loadConfig({}).httpsIssuer).toBe(false);
  });

  it('selects PostgreSQL when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://u@db:5432/app' });
    expect(config.database).toMatchObject({ kind: 'postgres', url: 'postgresql://u@db:5432/app' });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' })).toMatchObject({ port: 3000, redisUrl: undefined });
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid configuration: PORT must be integer$/],
    [{ PORT: '70000' }, /^Invalid configuration: PORT must be <= 65535$/],
    [{ ISSUER: 'ftp://x' }, /ISSUER/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ KEY_ENCRYPTION_KEY: 'short' }, /KEY_ENCRYPTION_KEY/],
    [{ SIGNUP_ENABLED: 'perhaps' }, /SIGNUP_ENABLED/],
    [{ KEY_PREPUBLISH_SECONDS: '10', JWKS_MAX_AGE_SECONDS: '300' }, /KEY_PREPUBLISH_SECONDS/],
    [{ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '15000' }, /^Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS/],
    [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, /^Invalid configuration: HTTP_REQUEST_TIMEOUT_MS must be >= 1000$/],
    [{ MIGRATE_ON_START: 'sometimes' }, /MIGRATE_ON_START/],
  ])('rejects %o with one line naming the variable', (env, message) => {
    const attempt = () => loadConfig(env as Record<string, string>);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('trusts no proxy by default, and parses the other forms of TRUST_PROXY', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone please' })).toThrow(/TRUST_PROXY/);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.accessToken)).toBe(true);
  });
});
