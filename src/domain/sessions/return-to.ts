/** Longer targets are refused outright: no legitimate page of this service needs one. */
const MAX_RETURN_TO_LENGTH = 2048;

/**
 * Where the login page may send the browser afterwards: a path on this
 * service only, returned exactly as it goes into the `Location` header.
 * Anything else (another origin, `//host`, `/\host`, a `javascript:` URL)
 * would make the page an open redirector for phishing.
 *
 * The check runs on the value that is sent, not on the one received: `/.//evil.com`,
 * `/..//evil.com` and `/%2e%2e//evil.com` start with a single slash, but
 * resolve to the path `//evil.com`, which a browser reads as another host.
 */
export function safeReturnTo(value: string | undefined, issuer: string): string | undefined {
  if (!value || value.length > MAX_RETURN_TO_LENGTH || !value.startsWith('/')) return undefined;
  // Browsers read `\` as `/` and drop tabs and newlines, so such a value means something other than it reads.
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return undefined;
  const origin = new URL(issuer).origin;
  let resolved: URL;
  try {
    resolved = new URL(value, origin);
  } catch {
    return undefined;
  }
  if (resolved.origin !== origin) return undefined;
  const target = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  return isPathAbsolute(target) ? target : undefined;
}

/** A path-absolute reference (RFC 3986 §4.2): a browser resolves it to the origin of whatever page it is on. */
const isPathAbsolute = (target: string) => target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\');
