import { createHash } from 'node:crypto';
import { passkeyButton, passkeyScriptTags } from '../passkeys/page-parts.js';

export const escape = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

// One inline stylesheet, allowed by its hash; no inline script (the passkey button's scripts are files, http/passkeys/assets.ts).
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:22rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;margin:1rem 0 .25rem;font-weight:600}
input{box-sizing:border-box;width:100%;padding:.6rem;font:inherit;border:1px solid #767676;border-radius:4px}
input:focus,button:focus,a:focus{outline:3px solid #1a5fb4;outline-offset:2px}
button{margin-top:1.5rem;width:100%;padding:.7rem;font:inherit;font-weight:600;color:#fff;background:#1a5fb4;border:0;border-radius:4px;cursor:pointer}
.error{padding:.75rem;border-left:4px solid #b3261e;background:#fdecea;color:#5f1510}
button.secondary{margin-top:.75rem;color:#1a5fb4;background:#fff;border:1px solid #1a5fb4}`;

/** A CSP `style-src` source allowing exactly this inline stylesheet. */
export const styleHashSource = (css: string) => `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;

/**
 * CSP for the login page: this stylesheet, scripts and fetches from this origin only (the passkey button:
 * this origin serves no script but its own, content-hashed and loaded with SRI), forms posting to this
 * origin, no framing (clickjacking).
 */
export const LOGIN_PAGE_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    styleSrc: [styleHashSource(STYLE)],
    scriptSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
} as const;

/**
 * The headers of every page of the service's own UI: that CSP, and `same-origin` rather than helmet's
 * `no-referrer` (under no-referrer browsers send `Origin: null` on a form post, which the cross-site check refuses).
 */
export const PAGE_SECURITY_HEADERS = { contentSecurityPolicy: LOGIN_PAGE_CSP, referrerPolicy: { policy: 'same-origin' as const } };

/** A page of the service's own UI: the one stylesheet, no script. */
export function page(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>${STYLE}</style>${head}
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface LoginFormView {
  csrfToken: string;
  returnTo?: string | undefined;
  email?: string | undefined;
  error?: string | undefined;
}

/** The sign-in form: labelled fields, autocomplete hints for password managers, the error announced to screen readers. */
export function renderLoginForm(view: LoginFormView): string {
  const error = view.error ? `<p class="error" id="login-error" role="alert">${escape(view.error)}</p>\n` : '';
  const describedBy = view.error ? ' aria-describedby="login-error"' : '';
  return page(
    'Sign in',
    `<h1>Sign in</h1>
${error}<form method="post" action="/v1/session"${describedBy}>
<input type="hidden" name="csrf_token" value="${escape(view.csrfToken)}">
${view.returnTo ? `<input type="hidden" name="return_to" value="${escape(view.returnTo)}">\n` : ''}<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${escape(view.email ?? '')}"${view.error ? ' aria-invalid="true"' : ''} autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
<button type="submit">Sign in</button>
</form>
<p><a href="/password-reset">Forgot password?</a></p>
${passkeyButton('passkey-sign-in', 'Sign in with a passkey', { options: '/v1/session/passkey/options', verify: '/v1/session/passkey' })}`,
    passkeyScriptTags(),
  );
}

export function renderSignedIn(email: string, csrfToken: string): string {
  return page(
    'Signed in',
    `<h1>Signed in</h1>
<p>You are signed in as <strong>${escape(email)}</strong>.</p>
<p><a href="/account">Your account</a></p>
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="${escape(csrfToken)}">
<button type="submit">Sign out</button>
</form>`,
  );
}

export function renderSignedOut(): string {
  return page(
    'Signed out',
    `<h1>Signed out</h1>
<p role="status">You are signed out.</p>
<p><a href="/login">Sign in again</a></p>`,
  );
}
