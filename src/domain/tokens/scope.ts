import { AppError } from '../errors.js';

/** RFC 6749 §3.3: space-delimited, case-sensitive, order irrelevant. */
export const parseScope = (scope: string): string[] => [...new Set(scope.split(' ').filter(Boolean))];

/**
 * The scope to grant: what was asked for, which must be within what is
 * allowed; everything allowed when nothing was asked for (§3.3 lets the
 * server apply a default).
 */
export function grantScope(requested: string | undefined, allowed: readonly string[]): string {
  if (requested === undefined || requested.trim() === '') return allowed.join(' ');
  const asked = parseScope(requested);
  const beyond = asked.filter((scope) => !allowed.includes(scope));
  if (beyond.length > 0) throw new AppError('invalid_scope', 'The requested scope exceeds what was granted.');
  return asked.join(' ');
}
