import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { ReplicaSync } from '../../../src/domain/revocations/replica-sync.js';
import type { ChangeNotifications } from '../../../src/domain/revocations/change-notifications.js';
import { RevocationState } from '../../../src/domain/revocations/revocation-state.js';
import { MemoryRevocationStore } from '../../support/memory-revocation-store.js';

const WINDOW = 930;

const setup = () => {
  const clock = new ManualClock();
  const store = new MemoryRevocationStore();
  const state = new RevocationState({ store, clock, windowSeconds: WINDOW });
  const seconds = () => Math.floor(clock.now().getTime() / 1000);
  return { clock, store, state, seconds };
};

describe('RevocationState', () => {
  it('refuses a token whose sid is revoked, and one whose sub was revoked at or after its iat', async () => {
    const { store, state, seconds } = setup();
    const now = seconds();
    store.record({ kind: 'sid', id: 'login-1', revokedAt: now }, { kind: 'sub', id: 'user-2', revokedAt: now });
    expect(state.isRevoked({ sub: 'user-1', iat: now - 10, sid: 'login-1' })).toBe(false);
    await state.catchUp();
    expect(state.version).toBe(1);
    expect(state.isRevoked({ sub: 'user-1', iat: now - 10, sid: 'login-1' })).toBe(true);
    expect(state.isRevoked({ sub: 'user-1', iat: now - 10, sid: 'login-9' })).toBe(false);
    expect(state.isRevoked({ sub: 'user-2', iat: now })).toBe(true);
    expect(state.isRevoked({ sub: 'user-2', iat: now + 1 })).toBe(false);
  });

  it('reads only what came after its version, and forgets entries past the window', async () => {
    const { clock, store, state, seconds } = setup();
    store.record({ kind: 'sid', id: 'old', revokedAt: seconds() });
    await state.catchUp();
    clock.advance(100);
    store.record({ kind: 'sid', id: 'new', revokedAt: seconds() });
    await state.catchUp();
    expect(state.window()).toEqual({ version: 2, sids: { old: seconds() - 100, new: seconds() }, subs: {} });
    clock.advance(WINDOW - 50);
    expect(state.window()).toEqual({ version: 2, sids: { new: seconds() - WINDOW + 50 }, subs: {} });
    expect(state.size).toBe(1);
  });

  it('shares one read among concurrent callers, and starts a fresh one for a caller that came during a read', async () => {
    const { store, state, seconds } = setup();
    const first = state.catchUp();
    store.record({ kind: 'sid', id: 'written-during-the-read', revokedAt: seconds() });
    const second = state.catchUp();
    const third = state.catchUp();
    await Promise.all([first, second, third]);
    expect(store.reads).toBe(2);
    expect(state.isRevoked({ sub: 'x', iat: 0, sid: 'written-during-the-read' })).toBe(true);
  });
});

class FakeNotifications implements ChangeNotifications {
  handlers: Parameters<ChangeNotifications['listen']>[0] | undefined;
  closed = false;
  async listen(handlers: Parameters<ChangeNotifications['listen']>[0]) {
    this.handlers = handlers;
  }
  async close() {
    this.closed = true;
  }
}

describe('ReplicaSync', () => {
  const start = async (reloadMs = 60_000) => {
    const parts = setup();
    const notifications = new FakeNotifications();
    const keyReloads: number[] = [];
    const sync = new ReplicaSync({
      notifications,
      revocations: parts.state,
      keys: { reload: async () => void keyReloads.push(1) },
      reloadMs,
      log: { warn() {} },
    });
    await sync.start();
    return { ...parts, notifications, keyReloads, sync };
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

  it('loads the revocations before it listens, and reloads what each notification names', async () => {
    const { store, state, notifications, keyReloads, sync, seconds } = await start();
    expect(store.reads).toBe(1);
    store.record({ kind: 'sid', id: 'pushed', revokedAt: seconds() });
    notifications.handlers!.onChange('revocations');
    await settle();
    expect(state.isRevoked({ sub: 'x', iat: 0, sid: 'pushed' })).toBe(true);
    notifications.handlers!.onChange('keys');
    await settle();
    expect(keyReloads).toHaveLength(1);
    await sync.stop();
    expect(notifications.closed).toBe(true);
  });

  it('after a gap in notifications, reloads both revocations and keys', async () => {
    const { store, state, notifications, keyReloads, sync, seconds } = await start();
    store.record({ kind: 'sid', id: 'missed', revokedAt: seconds() });
    notifications.handlers!.onGap();
    await settle();
    expect(state.isRevoked({ sub: 'x', iat: 0, sid: 'missed' })).toBe(true);
    expect(keyReloads).toHaveLength(1);
    await sync.stop();
  });

  it('finds a revocation whose notification was lost at the next periodic reload', async () => {
    const { store, state, sync, seconds } = await start(20);
    store.record({ kind: 'sid', id: 'lost-notification', revokedAt: seconds() });
    await expect.poll(() => state.isRevoked({ sub: 'x', iat: 0, sid: 'lost-notification' }), { timeout: 1000 }).toBe(true);
    await sync.stop();
  });
});
