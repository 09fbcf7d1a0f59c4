/**
 * Scenario 8: a downstream service verifying the identity service's access
 * tokens offline with jose, as a resource server would. Run as its own
 * process; no HTTP in the measured loop (the remote JWKS is fetched once and
 * cached by jose). Prints one JSON line of operations per second.
 *
 * argv: <jwks url> <issuer> <audience> <seconds per variant> <concurrency>; the token on stdin.
 */
import { createLocalJWKSet, createRemoteJWKSet, importJWK, jwtVerify, type JWK, type JWTVerifyGetKey, type KeyObject } from 'jose';

const [jwksUrl = '', issuer = '', audience = 'api', secondsArg = '3', concurrencyArg = '16'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const token = (await new Promise<string>((resolve) => {
  let data = '';
  process.stdin.on('data', (chunk) => (data += chunk));
  process.stdin.on('end', () => resolve(data.trim()));
})).trim();

const options = { algorithms: ['ES256'], issuer, audience, typ: 'at+jwt', clockTolerance: 30 };

/** Verifies the token with `concurrency` loops in flight for `seconds`; answers verifications per second. */
async function measure(key: JWTVerifyGetKey | KeyObject | Uint8Array | Awaited<ReturnType<typeof importJWK>>): Promise<number> {
  // Warm-up: JIT, and for the remote set the one fetch of the JWKS.
  for (let i = 0; i < 200; i += 1) await jwtVerify(token, key as JWTVerifyGetKey, options);
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await jwtVerify(token, key as JWTVerifyGetKey, options);
        count += 1;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const jwks = (await (await fetch(jwksUrl)).json()) as { keys: JWK[] };
const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string };
const jwk = jwks.keys.find((candidate) => candidate.kid === header.kid);
if (!jwk) throw new Error(`the token's kid ${header.kid} is not in the JWKS`);

const results = {
  remoteJwks: await measure(createRemoteJWKSet(new URL(jwksUrl))),
  localJwks: await measure(createLocalJWKSet(jwks)),
  importedKey: await measure(await importJWK(jwk, 'ES256')),
  concurrency,
};
process.stdout.write(`${JSON.stringify(results)}\n`);
