/**
 * What the verification package costs over bare jose: verifications per
 * second of one access token with `verifier.verify()` (cached JWKS key
 * lookup, claim checks, revocation feed of 10,000 logins and 1,000 subjects)
 * against `jwtVerify` with an imported key and the same options, one and 16
 * in flight, in alternating rounds. One libuv thread: jose verifies on the
 * thread pool, and the npm script sets UV_THREADPOOL_SIZE=1 (libuv reads it
 * before this module runs). "Per core" divides by the process's CPU time. The issuer is an in-memory fetch: no HTTP in the loop.
 * `npm run bench:verifier` (-- --smoke: a few operations each, fails only on errors).
 */
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import { createVerifier } from '../packages/verifier/src/index.js';
import { fmt, table } from './lib/report.js';

const smoke = process.argv.includes('--smoke');
const operations = smoke ? 50 : 4000;
const rounds = smoke ? 2 : 15;

const ISSUER = 'http://issuer.bench';
const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
const iat = Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>, typ: string) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ, kid: 'k1' }).sign(privateKey);
const token = await sign({ iss: ISSUER, sub: 'user', aud: 'api', exp: iat + 900, iat, jti: 'id', client_id: 'mobile', scope: 'openid', sid: 'login', roles: ['user'] }, 'at+jwt');
const revoked = (count: number, prefix: string) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}-${i}`, iat]));
const feed = await sign({ iss: ISSUER, iat, exp: iat + 300, version: 1, sids: revoked(10_000, 'sid'), subs: revoked(1000, 'sub') }, 'revocation-feed+jwt');

const documents: Record<string, () => Response> = {
  [`${ISSUER}/.well-known/openid-configuration`]: () => Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/jwks`, revocation_feed_uri: `${ISSUER}/revocations` }),
  [`${ISSUER}/jwks`]: () => Response.json({ keys: [jwk] }, { headers: { 'cache-control': 'max-age=3600' } }),
  [`${ISSUER}/revocations`]: () => new Response(feed, { headers: { 'content-type': 'application/jwt', etag: '"1"' } }),
};
const fetch = (async (url: string | URL | Request) => documents[String(url)]?.() ?? new Response(null, { status: 404 })) as typeof globalThis.fetch;

const verifier = await createVerifier({ issuer: ISSUER, audience: 'api', fetch, revocation: { pollIntervalMs: 5000 } });
const key = await importJWK(jwk, 'ES256');
const joseOptions = { algorithms: ['ES256'], issuer: ISSUER, audience: 'api', typ: 'at+jwt', clockTolerance: 30, requiredClaims: ['sub', 'client_id', 'iat', 'exp', 'jti'] };

const variants: Record<string, () => Promise<unknown>> = {
  'jose jwtVerify, imported key': () => jwtVerify(token, key, joseOptions),
  'verifier.verify': () => verifier.verify(token),
};

/** Wall-clock operations per second, and operations per CPU second of the whole process (every thread): one core's worth. */
async function measure(operation: () => Promise<unknown>, inFlight: number): Promise<{ wall: number; perCore: number }> {
  let started = 0;
  const cpuBefore = process.cpuUsage();
  const before = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started++ < operations) await operation();
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { wall: operations / ((performance.now() - before) / 1000), perCore: operations / ((cpu.user + cpu.system) / 1e6) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

for (const operation of Object.values(variants)) await measure(operation, 16);
console.log(`ES256 access token, ${operations} verifications per measurement, ${rounds} round(s) alternating, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (unset)'}`);
console.log('per core = verifications per CPU second of the process (all threads); the ratio is the median of the rounds\' ratios of it');
const rows = [['variant', 'in flight', 'verifications/s (wall)', 'per core']];
const ratios: string[] = [];
const [bare, packaged] = Object.values(variants) as [() => Promise<unknown>, () => Promise<unknown>];
for (const inFlight of [1, 16]) {
  const samples: { bare: { wall: number; perCore: number }; packaged: { wall: number; perCore: number } }[] = [];
  for (let round = 0; round < rounds; round++) {
    // ABBA order: a drift in the machine's load favours neither.
    const first = round % 2 === 0;
    const a = await measure(first ? bare : packaged, inFlight);
    const b = await measure(first ? packaged : bare, inFlight);
    samples.push(first ? { bare: a, packaged: b } : { bare: b, packaged: a });
  }
  for (const [name, pick] of [[Object.keys(variants)[0]!, 'bare'], [Object.keys(variants)[1]!, 'packaged']] as const) {
    rows.push([name, String(inFlight), fmt(median(samples.map((sample) => sample[pick].wall))), fmt(median(samples.map((sample) => sample[pick].perCore)))]);
  }
  ratios.push(`in flight ${inFlight}: ${fmt(median(samples.map((sample) => sample.packaged.perCore / sample.bare.perCore)), 3)}`);
}
verifier.close();
console.log(table(rows));
console.log(`ratio verifier / bare jose per core (goal >= 0.9): ${ratios.join(', ')}`);
