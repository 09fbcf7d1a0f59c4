import type { PasskeyView } from '../../domain/passkeys/passkey.js';
import { escape, page } from '../session/login-page.js';
import { passkeyScriptTags } from './page-parts.js';

const day = (date: Date) => date.toISOString().slice(0, 10);

const row = (passkey: PasskeyView) => `<li>
<strong>${escape(passkey.name)}</strong><br>
<small>${passkey.synced ? 'Synced passkey' : 'Device-bound passkey'} · added ${day(passkey.createdAt)} · ${passkey.lastUsedAt ? `last used ${day(passkey.lastUsedAt)}` : 'never used'}</small>
<button type="button" class="secondary" data-remove-passkey="${escape(passkey.id)}" aria-label="Remove ${escape(passkey.name)}">Remove</button>
</li>`;

/** `GET /account/passkeys`: the signed-in user's passkeys, with add and remove (browser-script.ts). */
export function renderPasskeysPage(view: { email: string; csrfToken: string; passkeys: readonly PasskeyView[] }): string {
  const list = view.passkeys.length
    ? `<ul id="passkeys">\n${view.passkeys.map(row).join('\n')}\n</ul>`
    : '<p id="passkeys">You have no passkeys yet.</p>';
  return page(
    'Passkeys',
    `<h1>Passkeys</h1>
<p>Signed in as <strong>${escape(view.email)}</strong>. A passkey signs you in with your device's screen lock or a security key, without a password.</p>
${list}
<div id="passkey-new">
<input type="hidden" name="csrf_token" value="${escape(view.csrfToken)}">
<label for="passkey-name">Name of the new passkey</label>
<input id="passkey-name" name="passkey_name" type="text" maxlength="64" placeholder="e.g. Work laptop">
<p class="error" id="passkey-error" role="alert" hidden></p>
<button type="button" id="passkey-add">Add a passkey</button>
</div>
<p><a href="/account">Back to your account</a></p>`,
    passkeyScriptTags(),
  );
}
