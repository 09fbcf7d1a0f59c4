/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): a proxy that compressed the body may have marked our tag W/. */
export function matchesAny(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
