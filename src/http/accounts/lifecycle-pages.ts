import { escape, page } from '../session/login-page.js';

interface FormView {
  title: string;
  intro?: string;
  action: string;
  hidden: Record<string, string>;
  /** Already-escaped inputs between the hidden fields and the button. */
  fields?: string;
  submit: string;
  error?: string | undefined;
}

/** A form of the service's own UI: the CSRF token and the other hidden fields, the error announced to screen readers. */
function formPage(view: FormView): string {
  const error = view.error ? `<p class="error" id="form-error" role="alert">${escape(view.error)}</p>\n` : '';
  const hidden = Object.entries(view.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">\n`)
    .join('');
  return page(
    view.title,
    `<h1>${escape(view.title)}</h1>
${view.intro ? `<p>${escape(view.intro)}</p>\n` : ''}${error}<form method="post" action="${escape(view.action)}"${view.error ? ' aria-describedby="form-error"' : ''}>
${hidden}${view.fields ?? ''}<button type="submit">${escape(view.submit)}</button>
</form>
<p><a href="/login">Back to sign in</a></p>`,
  );
}

/** A one-paragraph outcome page. */
export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escape(title)}</h1>\n<p role="status">${escape(message)}</p>\n<p><a href="/login">Sign in</a></p>`);
}

export const renderResetRequestForm = (csrfToken: string, error?: string, email = '') =>
  formPage({
    title: 'Reset your password',
    intro: 'Enter the email address of your account; we will send it a link to choose a new password.',
    action: '/v1/password-reset',
    hidden: { csrf_token: csrfToken },
    fields: `<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${escape(email)}" autofocus>
`,
    submit: 'Send the link',
    error,
  });

export const renderResetCompleteForm = (csrfToken: string, token: string, error?: string) =>
  formPage({
    title: 'Choose a new password',
    intro: 'Every device signed in to your account will be signed out.',
    action: '/v1/password-reset/complete',
    hidden: { csrf_token: csrfToken, token },
    fields: `<label for="new_password">New password</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" required maxlength="1024" autofocus>
`,
    submit: 'Set the new password',
    error,
  });

// A GET never spends the link (mail scanners and link previews fetch it): the button's POST does.
export const renderVerifyEmailForm = (csrfToken: string, token: string, error?: string) =>
  formPage({
    title: 'Confirm your email address',
    action: '/v1/email-verification/complete',
    hidden: { csrf_token: csrfToken, token },
    submit: 'Confirm my email address',
    error,
  });
