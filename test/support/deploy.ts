import { spawn, type SpawnOptions } from 'node:child_process';
import { Redis } from 'ioredis';
import { GATEWAY, ORDERS, basic } from './oauth.js';
import { PROJECT_ROOT, waitFor, type ServiceProcess } from './process.js';

/**
 * Helpers for the deployment suites (test/deploy/): they drive built service
 * processes over real HTTP, as a load balancer and clients would.
 */

export interface CommandResult {
  code: number | string;
  output: string;
}

/** Runs a command to completion, killed after `timeoutMs` so a hang fails the test instead of the run. */
export function runCommand(command: string, args: string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<CommandResult> {
  const { timeoutMs = 60_000, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, output });
    });
  });
}

/** Runs one of the service's command-line tools (`dist/src/cli/<name>.js`) with exactly this environment. */
export function runCli(name: 'migrate' | 'keys', args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CommandResult> {
  return runCommand(process.execPath, [`dist/src/cli/${name}.js`, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeoutMs });
}

/** SIGTERM, then the exit code; SIGKILL (and a thrown error) when it does not exit in time. */
export async function stopService(service: ServiceProcess, timeoutMs = 15_000): Promise<number | string> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return service.exited;
  service.child.kill('SIGTERM');
  return exitWithin(service, timeoutMs);
}

export async function exitWithin(service: ServiceProcess, timeoutMs: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      service.child.kill('SIGKILL');
      reject(new Error(`${service.url} did not exit within ${timeoutMs} ms:\n${service.output().slice(-2000)}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([service.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** For afterAll: no process outlives its suite, whatever state the test left it in. */
export async function killAll(services: Iterable<ServiceProcess | undefined>): Promise<void> {
  await Promise.all(
    [...services].map(async (service) => {
      if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
      service.child.kill('SIGKILL');
      await service.exited;
    }),
  );
}

export async function waitReady(service: ServiceProcess, timeoutMs = 20_000): Promise<void> {
  try {
    await Promise.race([
      waitFor(`${service.url}/readyz`, 200, timeoutMs),
      service.exited.then((code) => {
        throw new Error(`exited with ${code}`);
      }),
    ]);
  } catch (error) {
    throw new Error(`${service.url} did not become ready: ${(error as Error).message}\n${service.output().slice(-3000)}`);
  }
}

/** Polls `check` until it returns true, or fails after the timeout. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 100): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: any;
  ms: number;
}

/** One HTTP request with a hard timeout; never reuses a connection another test may have broken. */
export async function http(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const { timeoutMs = 10_000, ...rest } = init;
  const started = Date.now();
  const response = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body, ms: Date.now() - started };
}

export const postForm = (url: string, form: Record<string, string>, headers: Record<string, string> = {}, timeoutMs?: number) =>
  http(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    ...(timeoutMs ? { timeoutMs } : {}),
  });

export const sendJson = (url: string, method: string, body: unknown, headers: Record<string, string> = {}) =>
  http(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** A client-credentials access token for the demo `orders` client. */
export async function clientCredentialsToken(base: string): Promise<string> {
  const answer = await postForm(`${base}/oauth/token`, { grant_type: 'client_credentials', scope: 'orders:read' }, { authorization: basic(ORDERS) });
  if (answer.status !== 200) throw new Error(`client_credentials at ${base}: ${answer.status} ${answer.text}`);
  return answer.body.access_token as string;
}

export const introspect = (base: string, token: string) => postForm(`${base}/oauth/introspect`, { token }, { authorization: basic(GATEWAY) });

export const refresh = (base: string, refreshToken: string, timeoutMs?: number) =>
  postForm(`${base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'mobile' }, {}, timeoutMs);

/** RFC 7009 revocation by the client the token was issued to: the public `mobile` client for refresh tokens. */
export const revokeAsMobile = (base: string, token: string) => postForm(`${base}/oauth/revoke`, { token, client_id: 'mobile' });

export async function jwksKids(base: string): Promise<string[]> {
  const answer = await http(`${base}/.well-known/jwks.json`);
  return (answer.body.keys as { kid: string }[]).map((key) => key.kid);
}

/** A password that passes the default policy; argon2 is set to its cheapest OWASP row in these suites. */
export const PASSWORD = 'correct horse battery staple';

/** argon2id at the cheapest OWASP-approved setting (7 MiB, 5 passes), to keep processes light on a 2-core machine. */
export const CHEAP_ARGON2 = { ARGON2_MEMORY_KIB: '7168', ARGON2_TIME_COST: '5' };

export async function signUp(base: string, email: string): Promise<string> {
  const answer = await sendJson(`${base}/v1/users`, 'POST', { email, password: PASSWORD });
  if (answer.status !== 201) throw new Error(`sign-up at ${base}: ${answer.status} ${answer.text}`);
  return answer.body.id as string;
}

/** First-party mobile login: an OAuth token response with a refresh token. */
export async function mobileLogin(base: string, email: string): Promise<{ access_token: string; refresh_token: string }> {
  const answer = await sendJson(`${base}/v1/auth/login`, 'POST', { email, password: PASSWORD, client_id: 'mobile' });
  if (answer.status !== 200) throw new Error(`login at ${base}: ${answer.status} ${answer.text}`);
  return answer.body;
}

/** Browser login: the session cookie (name=value) to send back. */
export async function browserLogin(base: string, email: string): Promise<string> {
  const answer = await sendJson(`${base}/v1/session`, 'POST', { email, password: PASSWORD });
  if (answer.status >= 300 && answer.status !== 303) throw new Error(`session login at ${base}: ${answer.status} ${answer.text}`);
  const cookie = answer.headers.getSetCookie().find((line) => /^(__Host-)?sid=/.test(line));
  if (!cookie) throw new Error(`session login at ${base} set no session cookie: ${answer.headers.getSetCookie().join(' | ')}`);
  return cookie.split(';')[0]!;
}

export const REDIS_URL = process.env.REDIS_URL;

/**
 * A Redis logical database of the suite's own (index `db`) on the REDIS_URL
 * server, emptied before and after: the suites never touch another index.
 */
export async function redisDatabase(db: number): Promise<{ url: string; flush(): Promise<void> }> {
  if (!REDIS_URL) throw new Error('REDIS_URL is not set');
  const url = new URL(REDIS_URL);
  url.pathname = `/${db}`;
  const flush = async () => {
    const client = new Redis(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    try {
      await client.connect();
      await client.flushdb();
    } finally {
      client.disconnect();
    }
  };
  await flush();
  return { url: url.toString(), flush };
}

/** The request lines of a service's JSON log at LOG_LEVEL=debug: every request it accepted (`incoming request`) and answered (`request completed`). */
export function requestLog(output: string): { incoming: Map<string, string>; completed: Map<string, number> } {
  const incoming = new Map<string, string>();
  const completed = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { msg?: string; reqId?: string; req?: { url?: string }; res?: { statusCode?: number } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (!entry.reqId) continue;
    if (entry.msg === 'incoming request') incoming.set(entry.reqId, entry.req?.url ?? '');
    if (entry.msg === 'request completed') completed.set(entry.reqId, entry.res?.statusCode ?? 0);
  }
  return { incoming, completed };
}
