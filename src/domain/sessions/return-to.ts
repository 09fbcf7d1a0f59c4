/**
 * Where the login page may send the browser afterwards: a path on this
 * service only. Anything else (another origin, `//host`, `/\host`, a
 * `javascript:` URL) would make the page an open redirector for phishing.
 */
export function safeReturnTo(value: string | undefined, issuer: string): string | undefined {
  if (!value || value.length > 2048 || !value.startsWith('/') || value.startsWith('//')) return undefined;
  // Browsers treat `\` like `/` and ignore tabs and newlines in URLs.
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, issuer);
  } catch {
    return undefined;
  }
  if (url.origin !== new URL(issuer).origin) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}
