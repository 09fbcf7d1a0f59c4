import { VerifierError, type VerifierErrorCode } from './errors.js';

export type Fetch = typeof globalThis.fetch;

/** GETs a JSON document; any failure (network, status, body) becomes one VerifierError with `code`. */
export async function fetchJson(fetch: Fetch, url: string, code: VerifierErrorCode, timeoutMs: number): Promise<{ body: unknown; headers: Headers }> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    throw new VerifierError(code, `${url} is unreachable`, { cause });
  }
  if (!response.ok) throw new VerifierError(code, `${url} answered ${response.status}`);
  try {
    return { body: await response.json(), headers: response.headers };
  } catch (cause) {
    throw new VerifierError(code, `${url} did not answer JSON`, { cause });
  }
}

/** `max-age` of a Cache-Control header in milliseconds: 0 for `no-store`/`no-cache`, undefined when it says nothing. */
export function maxAgeMs(cacheControl: string | null): number | undefined {
  if (!cacheControl) return undefined;
  if (/\bno-(store|cache)\b/i.test(cacheControl)) return 0;
  const match = /\bmax-age=(\d+)/i.exec(cacheControl);
  return match ? Number(match[1]) * 1000 : undefined;
}
