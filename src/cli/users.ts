import { buildStandaloneAdministration } from '../composition/accounts.js';
import { openReadyDatabase } from '../composition/database.js';
import { loadConfig } from '../config/index.js';
import { systemClock } from '../domain/clock.js';
import { isAppError } from '../domain/errors.js';
import type { RevokedCounts } from '../domain/sessions/devices.js';
import { CLI_ACTOR, type UserAdministration } from '../domain/users/administration.js';
import type { Accounts } from '../domain/users/accounts.js';
import type { Role } from '../domain/users/user.js';
import type { AdminUserRecord } from '../domain/users/user-directory.js';
import { createLogger } from '../http/logger.js';
import { loadMasterKey } from '../store/master-key.js';
import { openRedis } from '../store/redis.js';
import { runCli } from './run-cli.js';

const USAGE = `usage: npm run users -- create [--admin] --email EMAIL --password-stdin
       npm run users -- list [--search TEXT]
       npm run users -- grant-role EMAIL ROLE | remove-role EMAIL ROLE
       npm run users -- disable EMAIL | enable EMAIL | logout EMAIL | reset-mfa EMAIL

create             creates an account (sign-up never grants admin: this is how the first admin is made)
--admin            with the admin role as well as user
--email EMAIL      the account's email
--password-stdin   reads the password from standard input (never from the command line,
                   where it would land in shell history and the process list)
list               every account (id, email, roles, state); --search keeps those whose email contains TEXT
grant-role         grants ROLE (user or admin); remove-role removes it. A change signs the user out everywhere
disable            the account can no longer sign in, and every login ends at once; enable undoes it
logout             ends every browser session and app login of the account
reset-mfa          removes every second factor (a lost authenticator): the password alone signs in again

Every change is audited with the actor \`cli\` (docs/admin.md).

example: printf '%s' "$ADMIN_PASSWORD" | npm run users -- create --admin --email ops@example.com --password-stdin`;

interface Tools {
  accounts: Accounts;
  administration: UserAdministration;
  out: (line: string) => void;
}

type Command = (tools: Tools) => Promise<void>;

const ended = (revoked: RevokedCounts) => `ended ${revoked.browserSessions} browser session(s) and ${revoked.tokenFamilies} app login(s)`;

const describeUser = (user: AdminUserRecord, now: Date) =>
  [user.id, user.email, user.roles.join(','), ...(user.disabledAt ? ['disabled'] : []), ...(user.lockedUntil && user.lockedUntil > now ? ['locked'] : [])].join(' ');

function parseCreate(rest: string[]): Command | undefined {
  let email: string | undefined;
  let admin = false;
  let stdin = false;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--admin') admin = true;
    else if (flag === '--password-stdin') stdin = true;
    else if (flag === '--email' && rest[i + 1] !== undefined) email = rest[++i];
    else if (flag?.startsWith('--email=')) email = flag.slice('--email='.length);
    else return undefined;
  }
  if (!email || !stdin) return undefined;
  const address = email;
  return async ({ accounts, out }) => {
    const password = await readStdin();
    const roles: Role[] = admin ? ['user', 'admin'] : ['user'];
    const user = await accounts.register({ email: address, password, roles }, { ip: null });
    out(`Created ${user.id} ${user.email} (${user.roles.join(', ')})`);
  };
}

function parseList(rest: string[]): Command | undefined {
  const [flag, search, ...extra] = rest;
  if (extra.length > 0 || (flag !== undefined && (flag !== '--search' || !search))) return undefined;
  return async ({ administration, out }) => {
    let cursor: string | undefined;
    do {
      const page = await administration.list({ limit: 100, ...(search ? { email: search } : {}), ...(cursor ? { cursor } : {}) });
      for (const user of page.items) out(describeUser(user, systemClock.now()));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  };
}

/** The commands that act on one account, named by its email. */
function parseAction(command: string, rest: string[]): Command | undefined {
  const [email, role, ...extra] = rest;
  if (!email || extra.length > 0) return undefined;
  const target = ({ administration }: Tools) => administration.findByEmail(email);
  if (command === 'grant-role' || command === 'remove-role') {
    if (!role) return undefined;
    const change = command === 'grant-role' ? 'grant' : 'remove';
    return async (tools) => {
      const user = await target(tools);
      const result = await tools.administration.changeRole(user.id, role, change, CLI_ACTOR);
      const verb = change === 'grant' ? 'Granted' : 'Removed';
      tools.out(result.changed ? `${verb} ${role} for ${user.email} (now ${result.roles.join(', ')}); signed out everywhere` : `Nothing to do: ${user.email} has ${result.roles.join(', ')}`);
    };
  }
  if (role !== undefined) return undefined;
  const actions: Record<string, Command> = {
    disable: async (tools) => {
      const user = await target(tools);
      tools.out(`Disabled ${user.email}; ${ended(await tools.administration.disable(user.id, CLI_ACTOR))}`);
    },
    enable: async (tools) => {
      const user = await target(tools);
      await tools.administration.enable(user.id, CLI_ACTOR);
      tools.out(`Enabled ${user.email}`);
    },
    logout: async (tools) => {
      const user = await target(tools);
      tools.out(`Signed ${user.email} out; ${ended(await tools.administration.logout(user.id, CLI_ACTOR))}`);
    },
    'reset-mfa': async (tools) => {
      const user = await target(tools);
      const removed = await tools.administration.resetSecondFactors(user.id, CLI_ACTOR);
      tools.out(`Removed ${removed.length} second factor(s) of ${user.email}`);
    },
  };
  return actions[command];
}

function parse(argv: string[]): Command | undefined {
  const [command, ...rest] = argv;
  if (command === 'create') return parseCreate(rest);
  if (command === 'list') return parseList(rest);
  return command ? parseAction(command, rest) : undefined;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (then Enter and Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the terminal's or echo's, not the password's.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

runCli(async () => {
  const command = parse(process.argv.slice(2));
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  // Logs go to stderr so stdout stays the command's answer.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  // As the service does: the embedded database migrates itself, a PostgreSQL schema that is behind is refused.
  const database = await openReadyDatabase(config, log);
  // Browser sessions live in Redis when the service keeps them there: ending them needs it too.
  const redis = config.redisUrl ? openRedis(config.redisUrl, log, config.databaseTimeoutMs) : undefined;
  try {
    // Second factors are sealed under the key-encryption key, as in the service.
    const masterKey = () => loadMasterKey(config, log);
    const tools = await buildStandaloneAdministration({ config, clock: systemClock, database, redis, masterKey });
    await command({ ...tools, out: (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    // Policy, duplicate and unknown-account errors are the operator's to fix: say what, without a stack trace.
    if (isAppError(error) && error.status < 500) {
      process.stderr.write(`${error.detail ?? error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await redis?.quit();
    await database.close();
  }
});
