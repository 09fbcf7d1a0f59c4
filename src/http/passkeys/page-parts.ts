import { PASSKEY_ASSETS } from './assets.js';

/** The tags that load the passkey scripts; deferred, so they run once the buttons are in the document. */
export const passkeyScriptTags = (): string => `\n${PASSKEY_ASSETS.map((a) => `<script src="${a.path}" integrity="${a.integrity}" defer></script>`).join('\n')}`;

/**
 * A passkey sign-in button (browser-script.ts drives it): it asks `urls.options` for a challenge,
 * has the browser sign it, and posts the answer to `urls.verify`. Its failures are announced in the
 * alert above it. The URLs are this service's own constants.
 */
export const passkeyButton = (id: string, label: string, urls: { options: string; verify: string }): string =>
  `<p class="error" id="passkey-error" role="alert" hidden></p>
<button type="button" class="secondary" id="${id}" data-options-url="${urls.options}" data-verify-url="${urls.verify}">${label}</button>`;
