import { buildAccountUseCases } from '../composition/accounts.js';
import { openReadyDatabase } from '../composition/database.js';
import { loadConfig } from '../config/index.js';
import { systemClock } from '../domain/clock.js';
import { isAppError } from '../domain/errors.js';
import type { Role } from '../domain/users/user.js';
import { createLogger } from '../http/logger.js';
import { runCli } from './run-cli.js';

const USAGE = `usage: npm run users -- create [--admin] --email EMAIL --password-stdin

create             creates an account (sign-up never grants admin: this is how the first admin is made)
--admin            with the admin role as well as user
--email EMAIL      the account's email
--password-stdin   reads the password from standard input (never from the command line,
                   where it would land in shell history and the process list)

example: printf '%s' "$ADMIN_PASSWORD" | npm run users -- create --admin --email ops@example.com --password-stdin`;

interface CreateArgs {
  email: string;
  admin: boolean;
}

function parse(argv: string[]): CreateArgs | undefined {
  const [command, ...rest] = argv;
  if (command !== 'create') return undefined;
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
  return email && stdin ? { email, admin } : undefined;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (then Enter and Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the terminal's or echo's, not the password's.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

runCli(async () => {
  const args = parse(process.argv.slice(2));
  if (!args) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const password = await readStdin();
  const config = loadConfig();
  // As the service does: the embedded database migrates itself, a PostgreSQL schema that is behind is refused.
  // Logs go to stderr so stdout stays the command's answer.
  const database = await openReadyDatabase(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr));
  try {
    const { accounts } = buildAccountUseCases({ config, clock: systemClock, database: database.handle });
    const roles: Role[] = args.admin ? ['user', 'admin'] : ['user'];
    const user = await accounts.register({ email: args.email, password, roles }, { ip: null });
    process.stdout.write(`Created ${user.id} ${user.email} (${user.roles.join(', ')})\n`);
  } catch (error) {
    // Policy and duplicate errors are the operator's to fix: say what, without a stack trace.
    if (isAppError(error) && error.status < 500) {
      process.stderr.write(`${error.detail ?? error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
  }
});
