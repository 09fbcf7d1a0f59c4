/**
 * What one ES256 access token costs to sign and to verify with jose (v6:
 * WebCrypto, each operation a job on libuv's thread pool) and with fast-jwt
 * (node:crypto on the calling thread), one at a time and 16 in flight, in
 * this process alone: CPU µs per operation (every thread of the process) and
 * wall µs per operation. The service signs and verifies with fast-jwt for
 * these figures (src/domain/tokens/access-tokens.ts). `npm run bench:jwt`
 * (-- --smoke: a few operations each).
 */
import { generateKeyPairSync } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { SignJWT, jwtVerify } from 'jose';
import { fmt, table } from './lib/report.js';

const smoke = process.argv.includes('--smoke');
const operations = smoke ? 50 : 4000;
const rounds = smoke ? 1 : 3;

const ISSUER = 'http://jwt.bench';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const iat = Math.floor(Date.now() / 1000);
const claims = { iss: ISSUER, sub: 'user', aud: 'api', exp: iat + 900, iat, jti: 'id', client_id: 'mobile', scope: 'openid', sid: 'login', roles: ['user'] };
const header = { alg: 'ES256', typ: 'at+jwt', kid: 'k1' };

const fastSign = createSigner({ key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: 'ES256', kid: 'k1', header });
const fastVerify = createVerifier({ key: publicKey.export({ type: 'spki', format: 'pem' }) as string, algorithms: ['ES256'], allowedIss: ISSUER, allowedAud: 'api', checkTyp: 'at+jwt' });
const token = fastSign(claims);
const joseOptions = { algorithms: ['ES256'], issuer: ISSUER, audience: 'api', typ: 'at+jwt' };

const operationsByName: Record<string, () => unknown> = {
  'sign, jose': () => new SignJWT(claims).setProtectedHeader(header).sign(privateKey),
  'sign, fast-jwt': () => fastSign(claims),
  'verify, jose': () => jwtVerify(token, publicKey, joseOptions),
  'verify, fast-jwt': () => fastVerify(token),
};

/** Runs `operation` `operations` times, `inFlight` at a time; CPU and wall µs per operation. */
async function measure(operation: () => unknown, inFlight: number): Promise<{ cpu: number; wall: number }> {
  let started = 0;
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started++ < operations) await operation();
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { cpu: (cpu.user + cpu.system) / operations, wall: Number(process.hrtime.bigint() - wallBefore) / 1000 / operations };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

console.log(`ES256 access tokens: ${operations} operations per measurement, median of ${rounds} round(s), libraries alternating`);
const rows = [['operation', 'in flight', 'CPU µs/op', 'wall µs/op']];
for (const inFlight of [1, 16]) {
  const samples = new Map<string, { cpu: number; wall: number }[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, operation] of Object.entries(operationsByName)) {
      samples.set(name, [...(samples.get(name) ?? []), await measure(operation, inFlight)]);
    }
  }
  for (const [name, measured] of samples) {
    rows.push([name, String(inFlight), fmt(median(measured.map((m) => m.cpu))), fmt(median(measured.map((m) => m.wall)))]);
  }
}
console.log(table(rows));
