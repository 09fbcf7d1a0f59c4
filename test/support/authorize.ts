import { createHash, randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { Browser } from './accounts.js';

/** A PKCE pair (RFC 7636 §4.1-4.2, S256). */
export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const authorizeUrl = (params: Record<string, string>) => `/oauth/authorize?${new URLSearchParams({ response_type: 'code', code_challenge_method: 'S256', ...params })}`;

/** The parameters the service put on a redirect to the client. */
export function redirectParams(response: LightMyRequestResponse): URLSearchParams {
  const location = response.headers.location;
  if (response.statusCode !== 303 || typeof location !== 'string') throw new Error(`expected a redirect, got ${response.statusCode} ${response.body.slice(0, 200)}`);
  return new URL(location).searchParams;
}

/** A hidden field of a server-rendered form. */
export const hiddenField = (html: string, name: string): string => {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
  if (value === undefined) throw new Error(`no ${name} field in the page`);
  return value;
};

/** Answers the consent page the browser is on, as a user clicking Allow or Deny. */
export async function decideConsent(browser: Browser, consentPage: LightMyRequestResponse, decision: 'allow' | 'deny') {
  const form = new URLSearchParams({
    csrf_token: hiddenField(consentPage.body, 'csrf_token'),
    request_id: hiddenField(consentPage.body, 'request_id'),
    decision,
  });
  return browser.request({
    method: 'POST',
    url: '/oauth/authorize/decision',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    payload: form.toString(),
  });
}
