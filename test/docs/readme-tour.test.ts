import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHEAP_ARGON2, stopService, waitReady } from '../support/deploy.js';
import { PROJECT_ROOT, freePort, spawnService, type ServiceProcess } from '../support/process.js';

/**
 * The README's five-minute tour, run as a newcomer would: its ```sh block,
 * with bash, against the built service freshly started on an empty embedded
 * database. Only two things change: B points at this service's port, and the
 * wait past the refresh grace window is shortened with REFRESH_GRACE_SECONDS.
 */
const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const tourSection = readme.slice(readme.indexOf('\n## A five-minute tour'));
const tour = /```sh\n([\s\S]*?)```/.exec(tourSection)?.[1] ?? '';
const GRACE_SECONDS = 1;

describe("the README's tour", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'idsvc-tour-'));
  let service: ServiceProcess;
  let answers: unknown[];

  beforeAll(async () => {
    expect(tour).toMatch(/^B=http:\/\/127\.0\.0\.1:3000$/m);
    expect(tour.match(/\bsleep 11\b/g)).toHaveLength(1);
    service = spawnService({ DATA_DIR: dataDir, REFRESH_GRACE_SECONDS: String(GRACE_SECONDS), ...CHEAP_ARGON2 }, await freePort());
    await waitReady(service, 40_000);
    const script = tour.replace(/^B=.*$/m, `B=${service.url}`).replace(/\bsleep 11\b/, `sleep ${GRACE_SECONDS + 1}`);
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
    answers = stdout
      .split('\n')
      .slice(0, -1)
      .map((line) => (line === '' ? '' : JSON.parse(line)));
  }, 90_000);

  afterAll(async () => {
    if (service) await stopService(service);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs up, logs in and reads /v1/me with the access token', () => {
    expect(answers[0]).toMatchObject({ id: expect.any(String), email: 'ada@example.com' });
    expect(answers[1]).toMatchObject({ email: 'ada@example.com', roles: expect.any(Array) });
  });

  it('rotates the refresh token, then treats the spent one, sent after the grace window, as theft', () => {
    expect(answers[2]).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
    expect(answers[3]).toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes, after which /v1/me refuses the access token and introspection says it is no longer active', () => {
    expect(answers[4]).toBe('');
    expect(answers[5]).toMatchObject({ status: 401, detail: 'The login this token belongs to has ended.' });
    expect(answers[6]).toEqual({ active: false });
  });

  it('issues a client-credentials token, and every command answered', () => {
    expect(answers[7]).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    expect(answers).toHaveLength(8);
  });
});
