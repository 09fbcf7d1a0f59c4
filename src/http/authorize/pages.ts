import { escape, page } from '../session/login-page.js';

/** What each scope lets an application do, in the words the consent page shows. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Know who you are (your account id)',
  email: 'See your email address',
  profile: 'See your basic profile',
  offline_access: 'Stay signed in to your account when you are not using it',
};

/** A scope in words, as the consent page asked for it (the account page lists what was allowed the same way). */
export const scopeInWords = (scope: string): string => SCOPE_WORDS[scope] ?? `Use “${scope}” on your behalf`;

export interface ConsentView {
  clientId: string;
  scopes: readonly string[];
  requestId: string;
  csrfToken: string;
  email: string;
}

/** The consent form (contract: submit buttons named `decision`, values `allow` and `deny`). */
export function renderConsent(view: ConsentView): string {
  const items = view.scopes.map((scope) => `<li>${escape(scopeInWords(scope))}</li>`).join('\n');
  return page(
    'Allow access?',
    `<h1>Allow ${escape(view.clientId)} access?</h1>
<p>Signed in as <strong>${escape(view.email)}</strong>. <strong>${escape(view.clientId)}</strong> asks to:</p>
<ul>
${items}
</ul>
<form method="post" action="/oauth/authorize/decision">
<input type="hidden" name="csrf_token" value="${escape(view.csrfToken)}">
<input type="hidden" name="request_id" value="${escape(view.requestId)}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  );
}

/**
 * The way back to the application after the login form. Browsers check a
 * form's CSP form-action against every redirect that follows its post, and
 * the login page allows only this origin; a refresh is a new navigation.
 */
export function renderContinue(location: string): string {
  return page(
    'Signed in',
    `<h1>Signed in</h1>\n<p>Returning to the application… <a href="${escape(location)}">Continue</a></p>`,
    `\n<meta http-equiv="refresh" content="0;url=${escape(location)}">`,
  );
}

/** Shown instead of redirecting when the redirect target cannot be trusted (RFC 6749 §4.1.2.1). */
export function renderAuthorizationError(message: string): string {
  return page('Sign-in request refused', `<h1>This sign-in request cannot continue</h1>\n<p class="error" role="alert">${escape(message)}</p>`);
}

/** RP-initiated logout without an id_token_hint: the user confirms, so a cross-site link alone cannot sign them out. */
export function renderLogoutConfirmation(csrfToken: string): string {
  return page(
    'Sign out?',
    `<h1>Sign out?</h1>
<p>An application asked to sign you out.</p>
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="${escape(csrfToken)}">
<button type="submit">Sign out</button>
</form>`,
  );
}
