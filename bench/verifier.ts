/**
 * What the verification package costs over bare jose: verifications per
 * second of one access token with `verifier.verify()` (cached JWKS key
 * lookup, claim checks, revocation feed of 10,000 logins and 1,000 subjects)
 * against `jwtVerify` with an imported key and the same options, one libuv
 * thread (jose verifies on the thread pool), one and 16 in flight, median of
 * alternating rounds. The issuer is an in-memory fetch: no HTTP in the loop.
 * `npm run bench:verifier` (-- --smoke: a few operations each, fails only on errors).
 */
process.env.UV_THREADPOOL_SIZE = '1';
const { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } = await import('jose');
const { createVerifier } = await import('../packages/verifier/src/index.js');
const { fmt, table } = await import('./lib/report.js');

const smoke = process.argv.includes('--smoke');
const operations = smoke ? 50 : 20_000;
const rounds = smoke ? 1 : 5;

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

/** Operations per second of `operation`, `inFlight` at a time. */
async function measure(operation: () => Promise<unknown>, inFlight: number): Promise<number> {
  let started = 0;
  const before = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started++ < operations) await operation();
    }),
  );
  return operations / ((performance.now() - before) / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

for (const operation of Object.values(variants)) await measure(operation, 16);
console.log(`ES256 access token, ${operations} verifications per measurement, median of ${rounds} round(s), UV_THREADPOOL_SIZE=1`);
const rows = [['variant', 'in flight', 'verifications/s']];
const ratios: string[] = [];
for (const inFlight of [1, 16]) {
  const samples = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, operation] of Object.entries(variants)) samples.set(name, [...(samples.get(name) ?? []), await measure(operation, inFlight)]);
  }
  const [bare, package_] = [...samples.values()].map(median) as [number, number];
  for (const [name, measured] of samples) rows.push([name, String(inFlight), fmt(median(measured))]);
  ratios.push(`in flight ${inFlight}: ${fmt(package_ / bare, 3)}`);
}
verifier.close();
console.log(table(rows));
console.log(`ratio verifier / bare jose (goal >= 0.9): ${ratios.join(', ')}`);
