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
