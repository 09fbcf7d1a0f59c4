/**
 * The pages' passkey buttons, served as a file (`assets.ts`) because the
 * pages' CSP allows no inline script. Plain ES2017 on the SimpleWebAuthn
 * browser bundle (the global `SimpleWebAuthnBrowser`), which loads first.
 * Every call carries the page's CSRF token (its hidden `csrf_token` field).
 */
export const PASSKEYS_SCRIPT = `'use strict';
(function () {
  var webauthn = window.SimpleWebAuthnBrowser;
  var field = function (name) { var input = document.querySelector('input[name="' + name + '"]'); return input ? input.value : undefined; };
  var report = function (message) {
    var box = document.getElementById('passkey-error');
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  };
  var call = async function (method, url, body) {
    var response = await fetch(url, {
      method: method,
      credentials: 'same-origin',
      headers: Object.assign({ 'x-csrf-token': field('csrf_token') || '' }, body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return undefined;
    var answer = await response.json().catch(function () { return {}; });
    if (!response.ok) throw new Error(answer.detail || answer.title || 'The request failed.');
    return answer;
  };
  // The browser's own refusals (the user cancelled, no passkey for this site) read better than its error names.
  var ceremonyFailed = function (error) {
    return error && (error.name === 'NotAllowedError' || error.name === 'AbortError') ? 'No passkey was used. Try again, or sign in another way.' : (error && error.message) || 'Something went wrong.';
  };
  var guard = function (button, work) {
    button.addEventListener('click', async function (event) {
      event.preventDefault();
      if (!webauthn || !webauthn.browserSupportsWebAuthn()) return report('This browser does not support passkeys.');
      button.disabled = true;
      try { await work(); } catch (error) { report(ceremonyFailed(error)); } finally { button.disabled = false; }
    });
  };

  document.querySelectorAll('button[data-verify-url]').forEach(function (button) {
    guard(button, async function () {
      var optionsJSON = await call('POST', button.dataset.optionsUrl, {});
      var response = await webauthn.startAuthentication({ optionsJSON: optionsJSON });
      var body = { response: response };
      if (field('return_to')) body.return_to = field('return_to');
      var done = await call('POST', button.dataset.verifyUrl, body);
      window.location.assign(done.location);
    });
  });

  var add = document.getElementById('passkey-add');
  if (add) guard(add, async function () {
    var optionsJSON = await call('POST', '/v1/me/passkeys/registration-options', {});
    var response = await webauthn.startRegistration({ optionsJSON: optionsJSON });
    var name = field('passkey_name');
    await call('POST', '/v1/me/passkeys', name ? { response: response, name: name } : { response: response });
    window.location.reload();
  });

  document.querySelectorAll('button[data-remove-passkey]').forEach(function (button) {
    guard(button, async function () {
      await call('DELETE', '/v1/me/passkeys/' + encodeURIComponent(button.dataset.removePasskey));
      window.location.reload();
    });
  });
})();
`;
