import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/app.js';
import type { FastifyInstance } from 'fastify';
import { embeddedTarget } from '../support/databases.js';
import { PROJECT_ROOT } from '../support/process.js';
import { Browser, PASSWORD, uniqueEmail } from '../support/accounts.js';

const CLI = path.join(PROJECT_ROOT, 'dist/src/cli/users.js');

/** Runs the built command as `npm run users --` does, with the password on stdin. */
function users(env: Record<string, string>, args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

// Each run opens (and on first use creates) the embedded database in its own process: slow on a loaded machine.
describe('npm run users -- create', { timeout: 90_000 }, () => {
  let database: Awaited<ReturnType<typeof embeddedTarget.create>>;
  beforeAll(async () => {
    database = await embeddedTarget.create();
  });
  afterAll(() => database.drop());

  it('prints its usage and exits 2 without --password-stdin', async () => {
    const result = await users(database.env, ['create', '--email', 'ops@example.test'], PASSWORD);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: npm run users -- create');
  });

  it('refuses a weak password with the policy message, exit 1', async () => {
    const result = await users(database.env, ['create', '--admin', '--email', uniqueEmail(), '--password-stdin'], 'short\n');
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('password must be at least 12 characters.');
  });

  it('creates an admin who can sign in and use the admin routes; never echoes the password', async () => {
    const email = uniqueEmail('ops');
    const created = await users(database.env, ['create', '--admin', '--email', email, '--password-stdin'], `${PASSWORD}\n`);
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(new RegExp(`^Created [0-9a-f-]{36} ${email.replace('.', '\\.')} \\(user, admin\\)\\n$`));
    expect(created.stdout + created.stderr).not.toContain(PASSWORD);

    const again = await users(database.env, ['create', '--email', email.toLowerCase(), '--password-stdin'], PASSWORD);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot be used to register');

    const app: FastifyInstance = await buildApp(loadConfig({ LOG_LEVEL: 'silent', ...database.env }));
    try {
      const browser = new Browser(app);
      const session = await browser.signIn(email);
      expect(session.user.roles).toEqual(['user', 'admin']);
      const response = await browser.request({
        method: 'POST',
        url: `/v1/admin/users/${session.user.id}/logout`,
        headers: { 'x-csrf-token': session.csrf_token },
      });
      expect(response.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
  // Thirteen runs of the command and three app starts, each opening the embedded database.
  it('lists, changes roles, disables, enables and signs out accounts by email, audited with the actor cli', { timeout: 240_000 }, async () => {
    const email = uniqueEmail('staff');
    const tag = email.split('@')[0]!;
    expect((await users(database.env, ['create', '--email', email, '--password-stdin'], PASSWORD)).code).toBe(0);
    const run = async (...args: string[]) => {
      const result = await users(database.env, args, '');
      expect(result, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
      return result.stdout;
    };

    expect(await run('list', '--search', tag.toUpperCase())).toMatch(new RegExp(`^[0-9a-f-]{36} ${email.replace('.', '\\.')} user\\n$`));
    expect(await run('grant-role', email, 'admin')).toBe(`Granted admin for ${email} (now user, admin); signed out everywhere\n`);
    expect(await run('grant-role', email.toLowerCase(), 'admin')).toBe(`Nothing to do: ${email} has user, admin\n`);
    expect(await run('remove-role', email, 'admin')).toBe(`Removed admin for ${email} (now user); signed out everywhere\n`);
    expect(await run('disable', email)).toBe(`Disabled ${email}; ended 0 browser session(s) and 0 app login(s)\n`);
    expect(await run('list', '--search', tag)).toMatch(/ user disabled\n$/);

    const unknownRole = await users(database.env, ['grant-role', email, 'root'], '');
    expect(unknownRole.code).toBe(1);
    expect(unknownRole.stderr).toContain('Unknown role');
    const unknownUser = await users(database.env, ['logout', uniqueEmail()], '');
    expect({ code: unknownUser.code, stderr: unknownUser.stderr }).toEqual({ code: 1, stderr: 'No such user.\n' });
    expect((await users(database.env, ['disable'], '')).code).toBe(2);

    const withApp = async (work: (app: FastifyInstance) => Promise<void>) => {
      const app: FastifyInstance = await buildApp(loadConfig({ LOG_LEVEL: 'silent', ...database.env }));
      try {
        await work(app);
      } finally {
        await app.close();
      }
    };
    const login = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD, client_id: 'mobile' } });
    await withApp(async (app) => expect((await login(app)).statusCode).toBe(401));

    expect(await run('enable', email)).toBe(`Enabled ${email}\n`);
    let accessToken = '';
    await withApp(async (app) => {
      const response = await login(app);
      expect(response.statusCode).toBe(200);
      accessToken = response.json().access_token;
    });
    expect(await run('reset-mfa', email)).toBe(`Removed 0 second factor(s) of ${email}\n`);
    expect(await run('logout', email)).toBe(`Signed ${email} out; ended 0 browser session(s) and 1 app login(s)\n`);
    await withApp(async (app) => {
      expect((await app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${accessToken}` } })).statusCode).toBe(401);
      const events = await app.database.query<{ type: string; by: string }>(
        `SELECT type, detail->>'by' AS by FROM audit_events WHERE user_id = (SELECT id FROM users WHERE email = $1) AND detail ? 'by' ORDER BY id`,
        [email],
      );
      expect(events).toEqual(['role_granted', 'role_removed', 'user_disabled', 'user_enabled', 'mfa_reset', 'user_revoked'].map((type) => ({ type, by: 'cli' })));
    });
  });
});
