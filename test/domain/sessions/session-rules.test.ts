import { describe, expect, it } from 'vitest';
import { idleExpiresAt, isSessionLive, needsTouch, openSession } from '../../../src/domain/sessions/browser-session.js';

const lifetimes = { idleSeconds: 1800, absoluteSeconds: 43200 };
const at = (seconds: number) => new Date(Date.UTC(2030, 0, 1) + seconds * 1000);

describe('session timeouts', () => {
  const session = openSession({ userId: 'u' }, at(0), lifetimes);

  it('opens with a fresh public id, a 256-bit CSRF token and the absolute deadline', () => {
    const other = openSession({ userId: 'u' }, at(0), lifetimes);
    expect(session.publicId).not.toBe(other.publicId);
    expect(session.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.expiresAt).toEqual(at(43200));
  });

  it('dies at the idle deadline, which slides with use but never past the absolute one', () => {
    expect(isSessionLive(session, at(1799), lifetimes)).toBe(true);
    expect(isSessionLive(session, at(1800), lifetimes)).toBe(false);
    const used = { ...session, lastSeenAt: at(43000) };
    expect(idleExpiresAt(used, lifetimes)).toEqual(at(43200));
    expect(isSessionLive(used, at(43199), lifetimes)).toBe(true);
    expect(isSessionLive(used, at(43200), lifetimes)).toBe(false);
  });

  it('writes the sliding deadline at most once a minute', () => {
    expect(needsTouch(session, at(59), lifetimes)).toBe(false);
    expect(needsTouch(session, at(60), lifetimes)).toBe(true);
    expect(needsTouch(session, at(6), { idleSeconds: 60, absoluteSeconds: 300 })).toBe(true);
  });
});
