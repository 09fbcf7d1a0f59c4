const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

/**
 * Whether a presented redirect_uri is one the client registered: compared as
 * strings (RFC 9700 §4.1.3: no prefix or pattern matching, which let attackers
 * extend a registered URI into one they control), except that a native app's
 * loopback redirect may use any port (RFC 8252 §7.3), since the app picks a
 * free one at run time.
 */
export function isRegisteredRedirectUri(presented: string, registered: readonly string[]): boolean {
  if (registered.includes(presented)) return true;
  const loopback = loopbackWithoutPort(presented);
  return loopback !== undefined && registered.some((uri) => loopbackWithoutPort(uri) === loopback);
}

/** An http loopback URI with its port removed, or undefined for any other URI. */
function loopbackWithoutPort(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname) || url.username || url.password) return undefined;
  // `localhost` is deliberately not a loopback here (§8.3): it may resolve elsewhere.
  url.port = '';
  return url.href;
}
