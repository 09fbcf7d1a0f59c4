/**
 * Known open-redirect payloads for a "return to this path" parameter: each
 * one, sent back as a `Location`, would take a browser to another host (or
 * run script) if accepted as is. Collected from the usual cheat sheets:
 * dot segments that collapse to `//`, backslashes, control characters,
 * encoded dots, schemes and userinfo.
 */
export const OPEN_REDIRECT_PAYLOADS: readonly string[] = [
  // Dot segments, plain and percent-encoded, that resolve to the path `//evil.example`.
  '/.//evil.example',
  '/..//evil.example',
  '/%2e%2e//evil.example',
  '/%2E%2E//evil.example',
  '/%2e//evil.example',
  '/.%2e//evil.example',
  '/a/..//evil.example',
  '/.//evil.example/phish',
  '/./..//evil.example/%2e%2e',
  // Network-path references.
  '//evil.example',
  '///evil.example',
  '////evil.example/',
  '//evil.example@localhost',
  '//localhost@evil.example',
  // Backslashes, which browsers read as slashes.
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  '/.\\/evil.example',
  // Tabs, newlines and other control characters, which browsers drop.
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/\u0000/evil.example',
  '/%0d%0aLocation:%20//evil.example\r\n/x',
  // Absolute URLs, schemes and userinfo.
  'https://evil.example/',
  'http:evil.example',
  'https:/evil.example',
  'http://localhost@evil.example/',
  'https://localhost.evil.example/',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  // Not a path at all, or lookalike slashes.
  'evil.example',
  ' //evil.example',
  '\uff0f\uff0fevil.example',
  `/${'x'.repeat(2048)}`,
];

/** Odd-looking values that stay on this origin: kept, in their normalised form. */
export const SAME_ORIGIN_TARGETS: readonly (readonly [string, string])[] = [
  ['/v1/me', '/v1/me'],
  ['/oauth/authorize?client_id=x&state=y#z', '/oauth/authorize?client_id=x&state=y#z'],
  ['/a/../b', '/b'],
  ['/%2f%2fevil.example', '/%2f%2fevil.example'],
  ['/%5c%5cevil.example', '/%5c%5cevil.example'],
  ['/@evil.example', '/@evil.example'],
  ['/?next=//evil.example', '/?next=//evil.example'],
  ['/#//evil.example', '/#//evil.example'],
];
