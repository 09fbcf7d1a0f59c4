import { AppError } from './errors.js';

/** One page of a listing, and the cursor of the next (null on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/**
 * Cursors are opaque to clients but not secret: the position (a sort key) as
 * base64url JSON. A client may forge one, so each decoder checks every part's
 * type and shape before it reaches a query, where it is only ever a bound
 * parameter; anything else is a 400, never a 500.
 */
export const encodeCursor = (key: readonly (string | number)[]): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

export function decodeCursor<K>(cursor: string, parse: (parts: unknown[]) => K | undefined): K {
  let parts: unknown;
  try {
    parts = /^[A-Za-z0-9_-]{1,512}$/.test(cursor) ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    parts = undefined;
  }
  const key = Array.isArray(parts) ? parse(parts) : undefined;
  if (key === undefined) throw new AppError('bad_request', 'The cursor is not one this service issued.');
  return key;
}

/** Turns `limit + 1` rows into a page: the extra row only tells that there is a next page. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (last: T) => readonly (string | number)[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
