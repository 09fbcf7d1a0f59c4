import type { FastifyInstance } from 'fastify';
import { Browser, signUp } from './accounts.js';
import type { SoftAuthenticator } from './soft-authenticator.js';

const hiddenCsrf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** A browser on the login page: its pre-login session and the CSRF token the page carries. */
export async function onLoginPage(app: FastifyInstance, browser = new Browser(app)) {
  const page = await browser.request({ method: 'GET', url: '/login' });
  return { browser, csrf: hiddenCsrf(page.body), page };
}

/** A new account, signed in through the JSON endpoint. */
export async function signedInUser(app: FastifyInstance) {
  const { id, email } = await signUp(app);
  const browser = new Browser(app);
  const { csrf_token: csrf } = await browser.signIn(email);
  return { id, email, browser, csrf };
}

/** Registration options, answered by the authenticator, posted back: the response of POST /v1/me/passkeys. */
export async function registerPasskey(browser: Browser, csrf: string, authenticator: SoftAuthenticator, name?: string) {
  const options = await browser.request({ method: 'POST', url: '/v1/me/passkeys/registration-options', headers: { 'x-csrf-token': csrf }, payload: {} });
  if (options.statusCode !== 200) throw new Error(`registration options: ${options.statusCode} ${options.body}`);
  const response = authenticator.register(options.json());
  return browser.request({ method: 'POST', url: '/v1/me/passkeys', headers: { 'x-csrf-token': csrf }, payload: name ? { response, name } : { response } });
}

/** Sign-in options for the browser's pre-login session. */
export async function signInOptions(browser: Browser, csrf: string) {
  const options = await browser.request({ method: 'POST', url: '/v1/session/passkey/options', headers: { 'x-csrf-token': csrf }, payload: {} });
  if (options.statusCode !== 200) throw new Error(`sign-in options: ${options.statusCode} ${options.body}`);
  return options.json() as { challenge: string; allowCredentials?: unknown[]; userVerification?: string; rpId?: string };
}

export const postAssertion = (browser: Browser, csrf: string, response: unknown, returnTo?: string) =>
  browser.request({ method: 'POST', url: '/v1/session/passkey', headers: { 'x-csrf-token': csrf }, payload: returnTo ? { response, return_to: returnTo } : { response } });
