/**
 * Does a failed login take the same time whether or not the email exists?
 * (docs/accounts.md, login timing; the contract's "about the same latency".)
 * Interleaves POST /v1/auth/login with a known email and a wrong password and
 * with an unknown email, through the real app (app.inject, so no network
 * noise), on the embedded database and, when TEST_DATABASE_URL or
 * DATABASE_URL is set, on PostgreSQL; prints median and p95 of each and
 * their difference. `npm run bench:login-timing` (-- --smoke: a few rounds).
 */
import { randomBytes } from 'node:crypto';
import { fmt, table } from './lib/report.js';

const smoke = process.argv.includes('--smoke');
const rounds = smoke ? 10 : 300;
process.env.TEST_DATABASE_URL ??= process.env.DATABASE_URL;
// Imported after the line above: the targets read TEST_DATABASE_URL as they load.
const { embeddedTarget, postgresTarget, TEST_DATABASE_URL } = await import('../test/support/databases.js');
const { startTestApp } = await import('../test/support/app.js');
const { PASSWORD, signUp, uniqueEmail } = await import('../test/support/accounts.js');

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? 0;

async function measure(target: typeof embeddedTarget) {
  // No lockout or rate limit within the run: they would change what is measured, not hide a difference.
  const t = await startTestApp(target, { env: { LOGIN_MAX_FAILURES: '1000000', RATE_LIMIT_LOGIN_PER_MINUTE: '1000000', RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' } });
  try {
    const { email } = await signUp(t.app, uniqueEmail('bench'), PASSWORD);
    const attempt = async (login: string) => {
      const started = process.hrtime.bigint();
      const response = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: login, password: 'a wrong password 123456', client_id: 'mobile' } });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (response.statusCode !== 401) throw new Error(`expected 401, got ${response.statusCode}`);
      return ms;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) await attempt(email);
    for (let i = 0; i < rounds; i++) {
      // Alternating which goes first, so a drift (JIT, cache, autovacuum) weighs on both alike.
      const pair = i % 2 === 0 ? [email, `nobody-${randomBytes(6).toString('hex')}@example.test`] : [`nobody-${randomBytes(6).toString('hex')}@example.test`, email];
      for (const login of pair) (login === email ? known : unknown).push(await attempt(login));
    }
    return { known, unknown };
  } finally {
    await t.close();
  }
}

const targets = [embeddedTarget, ...(TEST_DATABASE_URL ? [postgresTarget] : [])];
console.log(`login timing: ${rounds} failed logins of each kind per database, interleaved (ms)`);
const rows = [['database', 'known, wrong password: median', 'p95', 'unknown email: median', 'p95', 'difference of medians']];
for (const target of targets) {
  const { known, unknown } = await measure(target);
  const [km, um] = [percentile(known, 0.5), percentile(unknown, 0.5)];
  rows.push([target.name, fmt(km, 2), fmt(percentile(known, 0.95), 2), fmt(um, 2), fmt(percentile(unknown, 0.95), 2), `${fmt(km - um, 2)} (${fmt(((km - um) / um) * 100, 1)} %)`]);
}
if (!TEST_DATABASE_URL) console.log('PostgreSQL skipped: set TEST_DATABASE_URL or DATABASE_URL');
console.log(table(rows));
