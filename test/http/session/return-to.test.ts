import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTarget } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { Browser, PASSWORD, signUp } from '../../support/accounts.js';
import { OPEN_REDIRECT_PAYLOADS, SAME_ORIGIN_TARGETS } from '../../support/open-redirects.js';

const hiddenCsrf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
const hiddenReturnTo = (html: string) => /name="return_to" value="([^"]*)"/.exec(html)?.[1];
const loginUrl = (returnTo: string) => `/login?return_to=${encodeURIComponent(returnTo)}`;

// The check is pure (src/domain/sessions/return-to.ts) and the same on every store, so the embedded database suffices.
describe('return_to through the login page and the session form', () => {
  let t: TestApp;
  let email: string;
  beforeAll(async () => {
    // One account signs in once per payload: the rate limits have their own suite.
    t = await startTestApp(embeddedTarget, { env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000' } });
    ({ email } = await signUp(t.app));
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  /** Where a browser goes with this `Location`: it resolves it against the page it is on. */
  const destination = (response: LightMyRequestResponse) => new URL(String(response.headers.location), `${t.config.issuer}/login`);

  const signInWithForm = async (returnTo: string) => {
    const browser = new Browser(t.app);
    const page = await browser.request({ url: '/login' });
    const payload = new URLSearchParams({ email, password: PASSWORD, csrf_token: hiddenCsrf(page.body)!, return_to: returnTo }).toString();
    return browser.request({ method: 'POST', url: '/v1/session', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
  };

  it.each(OPEN_REDIRECT_PAYLOADS)('form sign-in with return_to=%j lands on the account page', async (returnTo) => {
    const response = await signInWithForm(returnTo);
    if (returnTo.length > 2048) {
      expect(response.statusCode).toBe(400);
      return;
    }
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account');
  });

  it.each(OPEN_REDIRECT_PAYLOADS)('a signed-in GET /login?return_to=%j shows the page instead of redirecting', async (returnTo) => {
    const browser = new Browser(t.app);
    await browser.signIn(email);
    const response = await browser.request({ url: loginUrl(returnTo) });
    expect(response.headers.location).toBeUndefined();
    expect(response.statusCode).toBe(returnTo.length > 2048 ? 400 : 200);
  });

  it.each(OPEN_REDIRECT_PAYLOADS)('the login form never carries return_to=%j on', async (returnTo) => {
    const response = await t.app.inject({ url: loginUrl(returnTo) });
    if (response.statusCode === 400) return expect(returnTo.length).toBeGreaterThan(2048);
    expect(response.statusCode).toBe(200);
    expect(hiddenReturnTo(response.body)).toBeUndefined();
  });

  it.each(SAME_ORIGIN_TARGETS)('sends %j on as %j, on this origin, from the form and from a signed-in GET', async (returnTo, expected) => {
    const posted = await signInWithForm(returnTo);
    expect(posted.statusCode).toBe(303);
    expect(posted.headers.location).toBe(expected);
    expect(destination(posted).origin).toBe(new URL(t.config.issuer).origin);

    const browser = new Browser(t.app);
    await browser.signIn(email);
    const redirected = await browser.request({ url: loginUrl(returnTo) });
    expect(redirected.statusCode).toBe(303);
    expect(redirected.headers.location).toBe(expected);
  });
});
