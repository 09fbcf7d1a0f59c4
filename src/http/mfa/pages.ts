import { passkeyButton, passkeyScriptTags } from '../passkeys/page-parts.js';
import { escape, page } from '../session/login-page.js';

export interface MfaFormView {
  csrfToken: string;
  returnTo?: string | undefined;
  error?: string | undefined;
}

/** The second step of the sign-in form: one code field (TOTP or recovery code), autocomplete hint `one-time-code`. */
export function renderMfaForm(view: MfaFormView): string {
  const error = view.error ? `<p class="error" id="mfa-error" role="alert">${escape(view.error)}</p>\n` : '';
  const describedBy = view.error ? ' aria-describedby="mfa-error"' : '';
  return page(
    'Two-step verification',
    `<h1>Two-step verification</h1>
<p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
${error}<form method="post" action="/v1/session/mfa"${describedBy}>
<input type="hidden" name="csrf_token" value="${escape(view.csrfToken)}">
${view.returnTo ? `<input type="hidden" name="return_to" value="${escape(view.returnTo)}">\n` : ''}<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="text" autocomplete="one-time-code" required maxlength="32" autofocus${view.error ? ' aria-invalid="true"' : ''}>
<button type="submit">Verify</button>
</form>
${passkeyButton('passkey-second-factor', 'Use a passkey', { options: '/v1/session/mfa/passkey/options', verify: '/v1/session/mfa/passkey' })}
<p><a href="/login${view.returnTo ? `?return_to=${encodeURIComponent(view.returnTo)}` : ''}">Start again</a></p>`,
    passkeyScriptTags(),
  );
}

export interface SecurityPageView {
  csrfToken: string;
  email: string;
  totp: 'none' | 'pending' | 'active';
  recoveryCodesRemaining: number;
  error?: string | undefined;
  notice?: string | undefined;
}

const hiddenCsrf = (csrfToken: string) => `<input type="hidden" name="csrf_token" value="${escape(csrfToken)}">`;

/** A form that needs a current code (a form cannot send headers: the CSRF token is a field, as on the logout button). */
const codeForm = (action: string, csrfToken: string, id: string, label: string, button: string, secondary = false) => `<form method="post" action="${action}">
${hiddenCsrf(csrfToken)}
<label for="${id}">${escape(label)}</label>
<input id="${id}" name="code" type="text" autocomplete="one-time-code" required maxlength="32">
<button type="submit"${secondary ? ' class="secondary"' : ''}>${escape(button)}</button>
</form>`;

/** The account security page: the TOTP state and what can be done about it. */
export function renderSecurityPage(view: SecurityPageView): string {
  const error = view.error ? `<p class="error" role="alert">${escape(view.error)}</p>\n` : '';
  const notice = view.notice ? `<p role="status">${escape(view.notice)}</p>\n` : '';
  const start = (label: string) => `<form method="post" action="/account/security/totp">
${hiddenCsrf(view.csrfToken)}
<button type="submit">${escape(label)}</button>
</form>`;
  const body =
    view.totp === 'active'
      ? `<p>Two-step verification is <strong>on</strong>: signing in asks for a code from your authenticator app.</p>
<p>${view.recoveryCodesRemaining} of your recovery codes are unused.</p>
<h2>New recovery codes</h2>
${codeForm('/account/security/recovery-codes', view.csrfToken, 'regenerate-code', 'Current code', 'Make new recovery codes')}
<h2>Turn off</h2>
${codeForm('/account/security/totp/remove', view.csrfToken, 'remove-code', 'Current code', 'Remove the authenticator', true)}`
      : `<p>Two-step verification is <strong>off</strong>: your password alone signs you in.</p>
${view.totp === 'pending' ? '<p>An authenticator set-up was started but not confirmed.</p>\n' : ''}${start(view.totp === 'pending' ? 'Start the set-up again' : 'Set up an authenticator app')}`;
  return page('Account security', `<h1>Account security</h1>
<p>Signed in as <strong>${escape(view.email)}</strong>.</p>
${error}${notice}${body}`);
}

export interface EnrolPageView {
  csrfToken: string;
  /** Inline SVG markup from the QR encoder (no script, no external reference). */
  qrSvg: string;
  secret: string;
  error?: string | undefined;
}

/** Step two of the set-up: scan (or type) the secret, then prove it with a first code. */
export function renderEnrolPage(view: EnrolPageView): string {
  const error = view.error ? `<p class="error" role="alert">${escape(view.error)}</p>\n` : '';
  const grouped = view.secret.match(/.{1,4}/g)?.join(' ') ?? view.secret;
  return page('Set up an authenticator', `<h1>Set up an authenticator</h1>
${error}<p>Scan this code with your authenticator app.</p>
<figure aria-label="QR code of the authenticator secret">${view.qrSvg}</figure>
<p>Or enter this key by hand: <code id="totp-secret">${escape(grouped)}</code></p>
<form method="post" action="/account/security/totp/confirm">
${hiddenCsrf(view.csrfToken)}
<label for="code">Code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="32" autofocus>
<button type="submit">Turn on two-step verification</button>
</form>`);
}

/** The recovery codes, shown once: after confirming the set-up, or after making new ones. */
export function renderRecoveryCodes(codes: readonly string[]): string {
  return page('Your recovery codes', `<h1>Your recovery codes</h1>
<p role="status">Two-step verification is on. Keep these codes somewhere safe: each signs you in once if you lose your authenticator. They are shown only now.</p>
<ul id="recovery-codes">
${codes.map((code) => `<li><code>${escape(code)}</code></li>`).join('\n')}
</ul>
<p><a href="/account/security">Back to account security</a></p>`);
}
