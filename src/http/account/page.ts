import type { Consent } from '../../domain/authorization/consent-store.js';
import type { Device } from '../../domain/sessions/devices.js';
import type { Role } from '../../domain/users/user.js';
import { scopeInWords } from '../authorize/pages.js';
import { escape, LOGIN_PAGE_CSP, page, styleHashSource } from '../session/login-page.js';
import { describeUserAgent } from './user-agent.js';

// The account page's own layout, on top of the login page's stylesheet; allowed by its hash like that one.
const ACCOUNT_STYLE = `main{max-width:44rem;margin:4vh auto}
section{margin-top:2rem;padding-top:1rem;border-top:1px solid #d0d4da}h2{font-size:1.15rem;margin:0 0 .75rem}
.notice{padding:.75rem;border-left:4px solid #1a7f37;background:#e8f5ec;color:#0f3d1c}
ul.rows{list-style:none;padding:0;margin:0}ul.rows>li{display:flex;gap:1rem;align-items:center;justify-content:space-between;padding:.75rem 0;border-bottom:1px solid #eceef1}
.rows p{margin:0}.rows ul{margin:.25rem 0;padding-left:1.2rem}.rows form{flex:none}.rows button{margin:0;width:auto;padding:.4rem .9rem}
.meta{color:#4a525c;font-size:.9rem}.tag{display:inline-block;margin-left:.5rem;padding:0 .4rem;border-radius:4px;background:#e3ecfa;color:#1a4a8a;font-size:.8rem;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dt{font-weight:600}dd{margin:0}`;

/** The login page's CSP, with the account stylesheet allowed too: still no script, forms to this origin only, no framing. */
export const ACCOUNT_PAGE_CSP = {
  ...LOGIN_PAGE_CSP,
  directives: { ...LOGIN_PAGE_CSP.directives, styleSrc: [...LOGIN_PAGE_CSP.directives.styleSrc, styleHashSource(ACCOUNT_STYLE)] },
} as const;

export interface AccountView {
  csrfToken: string;
  email: string;
  emailVerified: boolean;
  roles: readonly Role[];
  devices: readonly Device[];
  consents: readonly Consent[];
  /** The outcome of the action just done, from a fixed list. */
  notice?: string | undefined;
  error?: string | undefined;
}

const when = (date: Date) => `<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;

/** A POST form of one button, carrying the session's CSRF token (a form cannot send X-CSRF-Token). */
function actionForm(view: AccountView, action: string, button: string, fields: Record<string, string> = {}, buttonAttributes = ''): string {
  const hidden = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${escape(value)}">\n`).join('');
  return `<form method="post" action="${action}">
<input type="hidden" name="csrf_token" value="${escape(view.csrfToken)}">
${hidden}<button type="submit" class="secondary"${buttonAttributes}>${escape(button)}</button>
</form>`;
}

/** The address and whether its owner proved it: the place for anything about the email (such as sending the proof again). */
function emailSection(view: AccountView): string {
  const roles = view.roles.includes('admin') ? `\n<dt>Roles</dt><dd>${view.roles.map(escape).join(', ')}</dd>` : '';
  return `<section aria-labelledby="account-heading">
<h2 id="account-heading">Account</h2>
<dl>
<dt>Email</dt><dd>${escape(view.email)}<span class="tag">${view.emailVerified ? 'verified' : 'not verified'}</span></dd>${roles}
</dl>
</section>`;
}

function deviceRow(view: AccountView, device: Device): string {
  const name = describeUserAgent(device.userAgent);
  const client = device.kind === 'browser' ? 'Browser' : `App: ${device.clientId ?? 'unknown'}`;
  const meta = [escape(client), escape(device.ip ?? 'unknown address'), `last used ${when(device.lastUsedAt)}`];
  const label = `Sign out ${name}${device.current ? ' (this device)' : ''}`;
  return `<li>
<div>
<p><strong${device.userAgent ? ` title="${escape(device.userAgent)}"` : ''}>${escape(name)}</strong>${device.current ? '<span class="tag">This device</span>' : ''}</p>
<p class="meta">${meta.join(' · ')}</p>
</div>
${actionForm(view, '/account/devices/end', 'Sign out', { id: device.id }, ` aria-label="${escape(label)}"`)}
</li>`;
}

function devicesSection(view: AccountView): string {
  return `<section aria-labelledby="devices-heading">
<h2 id="devices-heading">Devices and sessions</h2>
<ul class="rows">
${view.devices.map((device) => deviceRow(view, device)).join('\n')}
</ul>
${actionForm(view, '/account/sign-out-everywhere', 'Sign out everywhere')}
</section>`;
}

function passwordSection(view: AccountView): string {
  const field = (id: string, label: string, autocomplete: string) =>
    `<label for="${id}">${label}</label>\n<input id="${id}" name="${id}" type="password" autocomplete="${autocomplete}" required maxlength="1024">`;
  return `<section aria-labelledby="password-heading">
<h2 id="password-heading">Change password</h2>
<form method="post" action="/account/password">
<input type="hidden" name="csrf_token" value="${escape(view.csrfToken)}">
${field('current_password', 'Current password', 'current-password')}
${field('new_password', 'New password', 'new-password')}
${field('confirm_password', 'Confirm new password', 'new-password')}
<button type="submit">Change password</button>
</form>
</section>`;
}

function consentRow(view: AccountView, consent: Consent): string {
  const scopes = consent.scope.split(' ').filter(Boolean).map((scope) => `<li>${escape(scopeInWords(scope))}</li>`).join('');
  return `<li>
<div>
<p><strong>${escape(consent.clientId)}</strong></p>
<ul>${scopes}</ul>
<p class="meta">Allowed ${when(consent.createdAt)}</p>
</div>
${actionForm(view, '/account/consents/revoke', 'Revoke', { client_id: consent.clientId }, ` aria-label="${escape(`Revoke ${consent.clientId}`)}"`)}
</li>`;
}

function consentsSection(view: AccountView): string {
  const list = view.consents.length
    ? `<ul class="rows">\n${view.consents.map((consent) => consentRow(view, consent)).join('\n')}\n</ul>`
    : '<p>You have not allowed any application.</p>';
  return `<section aria-labelledby="apps-heading">
<h2 id="apps-heading">Applications you allowed</h2>
${list}
</section>`;
}

const securitySection = `<section aria-labelledby="security-heading">
<h2 id="security-heading">Security</h2>
<ul>
<li><a href="/account/security">Two-step verification and recovery codes</a></li>
<li><a href="/account/passkeys">Passkeys</a></li>
</ul>
</section>`;

/** The signed-in user's account page: no script, every value escaped (user agents and client ids are the client's to choose). */
export function renderAccount(view: AccountView): string {
  const notice = view.notice ? `<p class="notice" role="status">${escape(view.notice)}</p>\n` : '';
  const error = view.error ? `<p class="error" role="alert">${escape(view.error)}</p>\n` : '';
  return page(
    'Your account',
    `<h1>Your account</h1>
${notice}${error}${emailSection(view)}
${devicesSection(view)}
${passwordSection(view)}
${consentsSection(view)}
${securitySection}`,
    `\n<style>${ACCOUNT_STYLE}</style>`,
  );
}
