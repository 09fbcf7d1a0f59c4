import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { Browser, PASSWORD } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { databaseTargets } from '../../support/databases.js';
import { onLoginPage, postAssertion, registerPasskey, signedInUser, signInOptions } from '../../support/passkeys.js';
import { SoftAuthenticator } from '../../support/soft-authenticator.js';

// The default issuer, http://localhost:3000: RP ID localhost.
const ORIGIN = 'http://localhost:3000';
const GENERIC = { status: 401, title: 'Invalid credentials', detail: 'The passkey was not accepted.' };

describe.each(databaseTargets)('passkeys over HTTP ($name)', (target) => {
  const clock = new ManualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(target, { clock, env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const auditOf = async (userId: string) =>
    (await t.app.database.query<{ type: string; detail: Record<string, unknown> }>('SELECT type, detail FROM audit_events WHERE user_id = $1 ORDER BY id', [userId])).map(
      (row): Record<string, unknown> => ({ type: row.type, ...row.detail }),
    );
  const storedPasskeys = (userId: string) => t.app.database.query<{ counter: number | string }>('SELECT counter FROM passkeys WHERE user_id = $1', [userId]);
  const problemOf = (response: { json(): unknown }) => {
    const { status, title, detail } = response.json() as Record<string, unknown>;
    return { status, title, detail };
  };

  /** A user with a registered passkey, and a fresh browser on the login page. */
  const withPasskey = async (options: Partial<ConstructorParameters<typeof SoftAuthenticator>[0]> = {}) => {
    const user = await signedInUser(t.app);
    const authenticator = new SoftAuthenticator({ origin: ORIGIN, ...options });
    const registered = await registerPasskey(user.browser, user.csrf, authenticator, 'Laptop');
    expect(registered.statusCode).toBe(201);
    return { ...user, authenticator, passkey: registered.json() as { id: string } };
  };

  it('registers a discoverable passkey for the signed-in user, bound to this RP, and never shows its public key', async () => {
    const user = await signedInUser(t.app);
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const options = await user.browser.request({ method: 'POST', url: '/v1/me/passkeys/registration-options', headers: { 'x-csrf-token': user.csrf }, payload: {} });
    expect(options.statusCode).toBe(200);
    const body = options.json();
    expect(body).toMatchObject({
      rp: { id: 'localhost', name: 'Identity service' },
      user: { name: user.email },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      excludeCredentials: [],
    });
    // The challenge is the server's: nothing of it rides in a cookie.
    expect(options.headers['set-cookie']).toBeUndefined();
    const response = authenticator.register(body);
    const created = await user.browser.request({ method: 'POST', url: '/v1/me/passkeys', headers: { 'x-csrf-token': user.csrf }, payload: { response, name: 'Work laptop' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'Work laptop', synced: false, backed_up: false, transports: ['internal'], last_used_at: null });
    expect(created.body).not.toContain('public');

    const list = await user.browser.request({ method: 'GET', url: '/v1/me/passkeys' });
    expect(list.json().passkeys).toEqual([created.json()]);
    const [row] = await t.app.database.query<{ credential_id: string; public_key: Uint8Array }>('SELECT credential_id, public_key FROM passkeys WHERE user_id = $1', [user.id]);
    expect(row?.credential_id).toBe(response.id);
    expect(row?.public_key.length).toBeGreaterThan(64);
    expect(list.body).not.toContain(response.id);
    expect(await auditOf(user.id)).toContainEqual(expect.objectContaining({ type: 'passkey_added', passkey: created.json().id, synced: false }));

    // The next ceremony excludes it, so the same authenticator is not registered twice.
    const again = await user.browser.request({ method: 'POST', url: '/v1/me/passkeys/registration-options', headers: { 'x-csrf-token': user.csrf }, payload: {} });
    expect(again.json().excludeCredentials).toEqual([{ id: response.id, type: 'public-key', transports: ['internal'] }]);
  });

  it('signs in with a passkey alone: discoverable options, a fresh session id, the safe return_to, audited', async () => {
    const { id, email, passkey, authenticator } = await withPasskey();
    const { browser, csrf } = await onLoginPage(t.app);
    const preLoginCookie = browser.cookies.get('sid');
    const options = await signInOptions(browser, csrf);
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required', allowCredentials: [] });
    const signedIn = await postAssertion(browser, csrf, authenticator.authenticate(options), '/v1/me');
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.headers['cache-control']).toBe('no-store');
    // RFC 8176: a device-bound passkey is a hardware-secured key.
    expect(signedIn.json()).toMatchObject({ user: { id, email }, location: '/v1/me', csrf_token: expect.any(String), amr: ['hwk'] });
    expect(browser.cookies.get('sid')).not.toBe(preLoginCookie);
    expect((await browser.request({ method: 'GET', url: '/v1/me' })).json()).toEqual({ id, email, roles: ['user'] });
    expect(await auditOf(id)).toContainEqual({ type: 'login_succeeded', method: 'passkey' });
    expect(Number((await storedPasskeys(id))[0]?.counter)).toBe(1);
    const [listed] = (await browser.request({ method: 'GET', url: '/v1/me/passkeys' })).json().passkeys;
    expect(listed).toMatchObject({ id: passkey.id, last_used_at: clock.now().toISOString() });

    // An unsafe return_to is not followed.
    const other = await onLoginPage(t.app);
    const next = await postAssertion(other.browser, other.csrf, authenticator.authenticate(await signInOptions(other.browser, other.csrf)), '//evil.example/');
    expect(next.json().location).toBe('/account');
  });

  it('refuses a registration made for another origin or RP ID, and stores nothing', async () => {
    const user = await signedInUser(t.app);
    for (const authenticator of [new SoftAuthenticator({ origin: 'http://evil.example:3000' }), new SoftAuthenticator({ origin: ORIGIN, rpId: 'evil.example' })]) {
      const refused = await registerPasskey(user.browser, user.csrf, authenticator);
      expect(refused.statusCode).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({ type: 'urn:identity-service:problem:passkey_rejected', detail: 'The passkey could not be verified for this site. Try again.' });
      // The library's reason (which names the origin) reaches the log, not the client.
      expect(refused.body).not.toContain('evil.example');
    }
    expect(await storedPasskeys(user.id)).toEqual([]);
  });

  it('refuses a registration answer to a challenge already used, or to another session\'s challenge', async () => {
    const user = await signedInUser(t.app);
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const options = (await user.browser.request({ method: 'POST', url: '/v1/me/passkeys/registration-options', headers: { 'x-csrf-token': user.csrf }, payload: {} })).json();
    // The same user in another browser: its session has no ceremony under way.
    const elsewhere = new Browser(t.app);
    const { csrf_token: otherCsrf } = await elsewhere.signIn(user.email);
    const response = authenticator.register(options);
    const foreign = await elsewhere.request({ method: 'POST', url: '/v1/me/passkeys', headers: { 'x-csrf-token': otherCsrf }, payload: { response } });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().type).toBe('urn:identity-service:problem:passkey_rejected');
    const first = await user.browser.request({ method: 'POST', url: '/v1/me/passkeys', headers: { 'x-csrf-token': user.csrf }, payload: { response } });
    expect(first.statusCode).toBe(201);
    const replay = await user.browser.request({ method: 'POST', url: '/v1/me/passkeys', headers: { 'x-csrf-token': user.csrf }, payload: { response } });
    expect(replay.statusCode).toBe(400);
    expect(await storedPasskeys(user.id)).toHaveLength(1);
  });

  it('lets a ceremony expire with WEBAUTHN_TIMEOUT_SECONDS', async () => {
    const { authenticator } = await withPasskey();
    const { browser, csrf } = await onLoginPage(t.app);
    const options = await signInOptions(browser, csrf);
    clock.advance(121);
    const late = await postAssertion(browser, csrf, authenticator.authenticate(options));
    expect(late.statusCode).toBe(400);
    expect(late.json().type).toBe('urn:identity-service:problem:passkey_rejected');
  });

  it('answers one generic refusal for an unknown credential, a tampered signature, another origin and a replayed assertion', async () => {
    const { id, authenticator } = await withPasskey();
    const stranger = new SoftAuthenticator({ origin: ORIGIN });
    stranger.register({ challenge: 'AAAA', user: { id: 'AAAAAAAAAAAAAAAAAAAAAA' } });
    const attempt = async (answer: (options: { challenge: string }) => unknown) => {
      const { browser, csrf } = await onLoginPage(t.app);
      const response = await postAssertion(browser, csrf, answer(await signInOptions(browser, csrf)));
      expect(browser.cookies.get('sid')).toBeDefined();
      expect((await browser.request({ method: 'GET', url: '/v1/me' })).statusCode).toBe(401);
      return response;
    };
    const unknown = await attempt((options) => stranger.authenticate(options));
    const tampered = await attempt((options) => {
      const assertion = authenticator.authenticate(options);
      const signature = Buffer.from(assertion.response.signature, 'base64url');
      signature[signature.length - 1]! ^= 0x01;
      return { ...assertion, response: { ...assertion.response, signature: signature.toString('base64url') } };
    });
    const foreignOrigin = new SoftAuthenticator({ origin: 'http://evil.example:3000' });
    foreignOrigin.credentials.push(...authenticator.credentials);
    const phished = await attempt((options) => foreignOrigin.authenticate(options));
    // A response captured from one sign-in, replayed against the next ceremony: it answers the old challenge.
    const { browser, csrf } = await onLoginPage(t.app);
    const captured = authenticator.authenticate(await signInOptions(browser, csrf));
    expect((await postAssertion(browser, csrf, captured)).statusCode).toBe(200);
    const replayed = await attempt(() => captured);
    for (const refused of [unknown, tampered, phished, replayed]) {
      expect(refused.statusCode).toBe(401);
      expect(problemOf(refused)).toEqual(GENERIC);
    }
    // The failures against the user's passkey are counted like wrong passwords.
    expect((await auditOf(id)).filter((event) => event.type === 'login_failed')).toEqual([
      { type: 'login_failed', reason: 'wrong_passkey' },
      { type: 'login_failed', reason: 'wrong_passkey' },
      { type: 'login_failed', reason: 'wrong_passkey' },
    ]);
  });

  it('answers a challenge once: a failed answer spends it, and of two concurrent answers one signs in', async () => {
    const { id, authenticator } = await withPasskey();
    const { browser, csrf } = await onLoginPage(t.app);
    const options = await signInOptions(browser, csrf);
    const good = authenticator.authenticate(options);
    const wrongChallenge = authenticator.authenticate({ challenge: 'not-the-challenge' });
    expect((await postAssertion(browser, csrf, wrongChallenge)).statusCode).toBe(401);
    const spent = await postAssertion(browser, csrf, good);
    expect(spent.statusCode).toBe(400);
    expect(spent.json().type).toBe('urn:identity-service:problem:passkey_rejected');

    const racing = await onLoginPage(t.app);
    const answer = authenticator.authenticate(await signInOptions(racing.browser, racing.csrf));
    const results = await Promise.all([postAssertion(racing.browser, racing.csrf, answer), postAssertion(racing.browser, racing.csrf, answer)]);
    // The loser finds the challenge taken (400), or, when the winner's sign-in already ended the pre-login session, no session (403).
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 400 || r.statusCode === 403)).toHaveLength(1);
    expect((await auditOf(id)).filter((event) => event.type === 'login_succeeded' && event.method === 'passkey')).toHaveLength(1);
  });

  it('refuses a signature counter that did not grow (a cloned authenticator), and audits it', async () => {
    const { id, authenticator } = await withPasskey();
    const first = await onLoginPage(t.app);
    expect((await postAssertion(first.browser, first.csrf, authenticator.authenticate(await signInOptions(first.browser, first.csrf)))).statusCode).toBe(200);
    const other = await onLoginPage(t.app);
    const credential = authenticator.credentials[0]!;
    credential.counter = 0; // the clone signs with the counter the original had before its last use
    const cloned = await postAssertion(other.browser, other.csrf, authenticator.authenticate(await signInOptions(other.browser, other.csrf)));
    expect(cloned.statusCode).toBe(401);
    expect(problemOf(cloned)).toEqual(GENERIC);
    expect(await auditOf(id)).toContainEqual({ type: 'passkey_clone_suspected', passkey: expect.any(String), stored_counter: 1, presented_counter: 1 });
  });

  it('accepts authenticators that do not count (counter 0 every time), and marks synced passkeys', async () => {
    const { browser: owner, authenticator } = await withPasskey({ synced: true, counts: false });
    expect((await owner.request({ method: 'GET', url: '/v1/me/passkeys' })).json().passkeys[0]).toMatchObject({ synced: true, backed_up: true });
    for (let i = 0; i < 2; i++) {
      const { browser, csrf } = await onLoginPage(t.app);
      const signedIn = await postAssertion(browser, csrf, authenticator.authenticate(await signInOptions(browser, csrf)));
      expect(signedIn.statusCode).toBe(200);
      // A synced passkey's private key lives in a cloud keychain too: a software-secured key.
      expect(signedIn.json().amr).toEqual(['swk']);
    }
  });

  it('refuses a passkey of a disabled or locked account with the same generic answer', async () => {
    for (const column of ['disabled_at', 'locked_until']) {
      const { id, authenticator } = await withPasskey();
      await t.app.database.query(`UPDATE users SET ${column} = $2 WHERE id = $1`, [id, new Date(clock.now().getTime() + 3600_000)]);
      const { browser, csrf } = await onLoginPage(t.app);
      const refused = await postAssertion(browser, csrf, authenticator.authenticate(await signInOptions(browser, csrf)));
      expect(refused.statusCode).toBe(401);
      expect(problemOf(refused)).toEqual(GENERIC);
    }
  });

  it('renames and removes a passkey; a removed passkey no longer signs in', async () => {
    const { browser, csrf, passkey, authenticator, id } = await withPasskey();
    const renamed = await browser.request({ method: 'PATCH', url: `/v1/me/passkeys/${passkey.id}`, headers: { 'x-csrf-token': csrf }, payload: { name: 'Phone' } });
    expect(renamed.statusCode).toBe(204);
    expect((await browser.request({ method: 'GET', url: '/v1/me/passkeys' })).json().passkeys[0].name).toBe('Phone');
    const blank = await browser.request({ method: 'PATCH', url: `/v1/me/passkeys/${passkey.id}`, headers: { 'x-csrf-token': csrf }, payload: { name: '   ' } });
    expect(blank.statusCode).toBe(400);
    // Another user cannot touch it.
    const stranger = await signedInUser(t.app);
    const foreign = await stranger.browser.request({ method: 'DELETE', url: `/v1/me/passkeys/${passkey.id}`, headers: { 'x-csrf-token': stranger.csrf } });
    expect(foreign.statusCode).toBe(404);
    // Without the CSRF token the cookie alone removes nothing.
    expect((await browser.request({ method: 'DELETE', url: `/v1/me/passkeys/${passkey.id}` })).statusCode).toBe(403);

    expect((await browser.request({ method: 'DELETE', url: `/v1/me/passkeys/${passkey.id}`, headers: { 'x-csrf-token': csrf } })).statusCode).toBe(204);
    expect((await browser.request({ method: 'GET', url: '/v1/me/passkeys' })).json().passkeys).toEqual([]);
    expect(await auditOf(id)).toContainEqual({ type: 'passkey_removed', passkey: passkey.id, by: id });
    const login = await onLoginPage(t.app);
    const refused = await postAssertion(login.browser, login.csrf, authenticator.authenticate(await signInOptions(login.browser, login.csrf)));
    expect(problemOf(refused)).toEqual(GENERIC);
  });

  it('counts as a second factor: after the password, /login/mfa offers the passkey, which finishes the sign-in with amr pwd+hwk', async () => {
    const { id, email, authenticator, passkey } = await withPasskey();
    const other = await withPasskey();
    const { browser, csrf } = await onLoginPage(t.app);
    const password = await browser.request({ method: 'POST', url: '/v1/session', payload: { email, password: PASSWORD } });
    expect(password.statusCode).toBe(401);
    expect(password.json()).toMatchObject({ type: 'urn:identity-service:problem:mfa_required', methods: ['passkey'] });
    const page = await browser.request({ method: 'GET', url: '/login/mfa?return_to=/v1/me' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Use a passkey');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");

    const secondStep = async () => {
      const options = await browser.request({ method: 'POST', url: '/v1/session/mfa/passkey/options', headers: { 'x-csrf-token': csrf }, payload: {} });
      expect(options.statusCode).toBe(200);
      return options.json() as { challenge: string; allowCredentials: { id: string }[]; userVerification: string };
    };
    const finish = (response: unknown) =>
      browser.request({ method: 'POST', url: '/v1/session/mfa/passkey', headers: { 'x-csrf-token': csrf }, payload: { response, return_to: '/v1/me' } });
    const options = await secondStep();
    expect(options).toMatchObject({ userVerification: 'discouraged', allowCredentials: [{ id: authenticator.credentials[0]!.id.toString('base64url') }] });
    // Another account's passkey does not finish this account's sign-in.
    const foreign = await finish(other.authenticator.authenticate(options));
    expect(foreign.statusCode).toBe(401);
    expect(problemOf(foreign)).toEqual(GENERIC);
    const done = await finish(authenticator.authenticate(await secondStep()));
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ user: { id, email }, amr: ['pwd', 'hwk'], location: '/v1/me' });
    expect((await browser.request({ method: 'GET', url: '/v1/me' })).statusCode).toBe(200);
    // The factor port lists it beside TOTP's kinds.
    expect((await browser.request({ method: 'GET', url: '/v1/me/mfa' })).json().factors).toEqual([{ kind: 'passkey', id: passkey.id, created_at: expect.any(String) }]);
    // No sign-in waits any more.
    const after = await browser.request({ method: 'POST', url: '/v1/session/mfa/passkey/options', headers: { 'x-csrf-token': done.json().csrf_token }, payload: {} });
    expect(after.json().type).toBe('urn:identity-service:problem:mfa_expired');
  });

  it('needs the login page\'s session and CSRF token, from this origin', async () => {
    const { browser, csrf } = await onLoginPage(t.app);
    const options = (headers: Record<string, string>, client = browser) => client.request({ method: 'POST', url: '/v1/session/passkey/options', headers, payload: {} });
    expect((await options({})).statusCode).toBe(403);
    expect((await options({ 'x-csrf-token': 'forged' })).statusCode).toBe(403);
    expect((await options({ 'x-csrf-token': csrf }, new Browser(t.app))).statusCode).toBe(403);
    expect((await options({ 'x-csrf-token': csrf, origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await options({ 'x-csrf-token': csrf, origin: ORIGIN })).statusCode).toBe(200);
    // Registering needs a signed-in session.
    expect((await browser.request({ method: 'POST', url: '/v1/me/passkeys/registration-options', headers: { 'x-csrf-token': csrf }, payload: {} })).statusCode).toBe(401);
  });

  it('serves the scripts the pages load, immutable under content-hashed names, matching their SRI hashes', async () => {
    const { page } = await onLoginPage(t.app);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('Sign in with a passkey');
    const scripts = [...page.body.matchAll(/<script src="([^"]+)" integrity="([^"]+)" defer><\/script>/g)];
    expect(scripts.map((m) => m[1])).toEqual([expect.stringMatching(/^\/assets\/simplewebauthn-browser-[0-9a-f]{16}\.js$/), expect.stringMatching(/^\/assets\/passkeys-[0-9a-f]{16}\.js$/)]);
    for (const [, src, integrity] of scripts) {
      const script = await t.app.inject({ method: 'GET', url: src! });
      expect(script.statusCode).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(`sha384-${createHash('sha384').update(script.rawPayload).digest('base64')}`).toBe(integrity);
    }
    expect((await t.app.inject({ method: 'GET', url: '/assets/passkeys-0000000000000000.js' })).statusCode).toBe(404);
  });

  it('serves /account/passkeys to the signed-in user under the pages\' CSP, and sends others to sign in', async () => {
    const signedOut = await t.app.inject({ method: 'GET', url: '/account/passkeys' });
    expect(signedOut.statusCode).toBe(303);
    expect(signedOut.headers.location).toBe('/login?return_to=%2Faccount%2Fpasskeys');
    const { browser, csrf } = await withPasskey();
    await browser.request({ method: 'POST', url: '/v1/me/passkeys/registration-options', headers: { 'x-csrf-token': csrf }, payload: {} });
    const page = await browser.request({ method: 'GET', url: '/account/passkeys' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('<strong>Laptop</strong>');
    expect(page.body).toContain(`name="csrf_token" value="${csrf}"`);
    expect(page.body).toContain('Add a passkey');
  });
});

describe('passkey sign-in rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(databaseTargets[0]!, { env: { RATE_LIMIT_LOGIN_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  it('answers 429 with Retry-After past RATE_LIMIT_LOGIN_PER_MINUTE passkey requests from one IP in a minute', async () => {
    const { browser, csrf } = await onLoginPage(t.app);
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await browser.request({ method: 'POST', url: '/v1/session/passkey/options', headers: { 'x-csrf-token': csrf }, payload: {} });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
  });
});
