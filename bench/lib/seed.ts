import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import pg from 'pg';
import { Argon2PasswordHasher } from '../../src/crypto/argon2-password-hasher.js';
import type { Config } from '../../src/config/index.js';
import { insertUsers, mintFamilies } from './postgres.js';

export const BENCH_PASSWORD = 'bench password: correct horse battery staple';
export const MOBILE_CLIENT = 'mobile';
/** A redirect URI the demo clients file registers for it (RFC 8252 loopback). */
export const MOBILE_REDIRECT = 'http://127.0.0.1:8765/callback';
export const ORDERS = { id: 'orders', secret: 'demo-orders-secret-change-me-0123456789abcdef' };
export const GATEWAY = { id: 'gateway', secret: 'demo-gateway-secret-change-me-0123456789abcdef' };

export const basic = (client: { id: string; secret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;

export interface Seeded {
  users: { id: string; email: string }[];
  /** How the first user was made: through POST /v1/users, or by SQL when that route does not exist yet. */
  userPath: 'POST /v1/users' | 'sql';
  /** User access tokens (with `sid`), one per user. */
  accessTokens: string[];
  tokenPath: 'POST /v1/auth/login' | 'refresh_token grant';
  /** `Cookie` header values of signed-in browser sessions; empty when POST /v1/session does not exist. */
  sessionCookies: string[];
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
}

export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(10_000),
  });
}

/**
 * Users, their logins and browser sessions, made through the service's own
 * API wherever it exists: the first user signs up through POST /v1/users (so
 * its hash is the service's), the others share that hash by SQL (one argon2
 * hash each would only slow the seeding); every user then logs in through
 * POST /v1/auth/login and POST /v1/session.
 */
export async function seedAccounts(baseUrl: string, db: pg.Pool, config: Config, count: number): Promise<Seeded> {
  const email = `bench-0-${Date.now()}@bench.example`;
  const signup = await postJson(`${baseUrl}/v1/users`, { email, password: BENCH_PASSWORD });
  let userPath: Seeded['userPath'];
  let passwordHash: string;
  let first: { id: string; email: string };
  if (signup.status === 201) {
    first = { id: ((await signup.json()) as { id: string }).id, email };
    const [row] = (await db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [first.id])).rows;
    passwordHash = row?.password_hash as string;
    userPath = 'POST /v1/users';
  } else if (signup.status === 404) {
    passwordHash = await new Argon2PasswordHasher(config.passwordHashing).hash(BENCH_PASSWORD);
    [first] = (await insertUsers(db, 1, passwordHash, `bench-0-${Date.now()}`)) as [{ id: string; email: string }];
    userPath = 'sql';
  } else {
    throw new Error(`POST /v1/users answered ${signup.status}: ${await signup.text()}`);
  }
  const users = [first, ...(await insertUsers(db, count - 1, passwordHash, `bench-${Date.now()}`))];

  const accessTokens: string[] = [];
  let tokenPath: Seeded['tokenPath'] = 'POST /v1/auth/login';
  for (const user of users) {
    const login = await postJson(`${baseUrl}/v1/auth/login`, { email: user.email, password: BENCH_PASSWORD, client_id: MOBILE_CLIENT });
    if (login.status === 404) {
      tokenPath = 'refresh_token grant';
      break;
    }
    if (login.status !== 200) throw new Error(`POST /v1/auth/login answered ${login.status}: ${await login.text()}`);
    accessTokens.push(((await login.json()) as { access_token: string }).access_token);
  }
  if (tokenPath === 'refresh_token grant') {
    // No login route yet: mint one family per user and rotate it once through the token endpoint.
    for (const user of users) {
      const [refresh] = await mintFamilies(db, { userIds: [user.id], count: 1, clientId: MOBILE_CLIENT, scope: 'openid offline_access', familyTtlSeconds: config.refresh.familyTtlSeconds });
      const response = await postForm(`${baseUrl}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refresh as string, client_id: MOBILE_CLIENT });
      if (response.status !== 200) throw new Error(`refresh_token grant answered ${response.status}: ${await response.text()}`);
      accessTokens.push(((await response.json()) as { access_token: string }).access_token);
    }
  }

  const sessionCookies: string[] = [];
  for (const user of users) {
    const response = await postJson(`${baseUrl}/v1/session`, { email: user.email, password: BENCH_PASSWORD });
    if (response.status === 404) break;
    if (response.status !== 200) throw new Error(`POST /v1/session answered ${response.status}: ${await response.text()}`);
    const cookie = response.headers.getSetCookie().map((header) => header.split(';')[0]).join('; ');
    sessionCookies.push(cookie);
  }
  return { users, userPath, accessTokens, tokenPath, sessionCookies };
}

/** True when the service has a route for `method path`: none of these routes answers 404 once it exists. */
export async function routeExists(baseUrl: string, method: string, path: string): Promise<boolean> {
  const response = await fetch(`${baseUrl}${path}`, { method, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}) });
  await response.arrayBuffer();
  return response.status !== 404;
}

/** Scenario 10's refresh families: as many as scenario 3's, each bound to the one DPoP key returned with them. */
export async function mintDpopPool(db: pg.Pool, seeded: Seeded, count: number, familyTtlSeconds: number): Promise<{ key: { privateKey: CryptoKey; publicJwk: JWK }; refreshPool: string[] }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(publicKey);
  const refreshPool = await mintFamilies(db, {
    userIds: seeded.users.map((user) => user.id),
    count,
    clientId: MOBILE_CLIENT,
    scope: 'openid offline_access',
    familyTtlSeconds,
    dpopJkt: await calculateJwkThumbprint(publicJwk, 'sha256'),
  });
  return { key: { privateKey, publicJwk }, refreshPool };
}
